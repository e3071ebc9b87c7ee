"""What a licensee owes after access: derivatives declared, approvals asked for, publications registered."""
