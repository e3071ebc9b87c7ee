"""The demo catalogue: the four seed datasets' public facts and small generated stand-in images."""
