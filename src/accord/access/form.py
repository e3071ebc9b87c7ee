"""The application form a policy asks for: which answers are accepted, and the agreement they go into."""

from __future__ import annotations

from typing import Any

from email_validator import EmailNotValidError, validate_email

from accord.access.agreement import Agreement
from accord.errors import InvalidInput
from accord.policy.schema import FIELD_LABELS, ApplicantField, Policy, Signatory
from accord.policy.service import Terms

LIMITS = {ApplicantField.address: 500, ApplicantField.purpose_statement: 2000}
DEFAULT_LIMIT = 200
SIGNATORY_FIELDS = ("name", "title", "email")


def _label(name: str) -> str:
    return FIELD_LABELS.get(ApplicantField(name), name) if name in ApplicantField.__members__ else name


def _text(value: object, field: str, limit: int) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"{_label(field.split('.')[-1])}: give text", field=field)
    value = value.strip()
    if not value:
        raise InvalidInput(f"{_label(field.split('.')[-1])} is required", field=field)
    if len(value) > limit:
        raise InvalidInput(f"{_label(field.split('.')[-1])} is too long (at most {limit} characters)", field=field)
    return value


def _email(value: str, field: str) -> str:
    try:
        return validate_email(value, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise InvalidInput(f"not a valid e-mail address: {exc}", field=field) from None


def clean_answers(policy: Policy, answers: object, *, account_email: str) -> dict[str, str]:
    """Answers to the fields this policy asks for; a draft may leave some out, but none may be blank."""
    if not isinstance(answers, dict):
        raise InvalidInput("answers must be a mapping of field names to text", field="answers")
    asked = [f.value for f in policy.applicant_fields]
    for name in answers:
        if name not in asked:
            raise InvalidInput(f"this form does not ask for {name!r}; it asks for {', '.join(asked)}", field=name)
    out: dict[str, str] = {}
    for name in asked:
        if name in answers:
            out[name] = _text(answers[name], name, LIMITS.get(ApplicantField(name), DEFAULT_LIMIT))
    if "email" in out:
        out["email"] = _email(out["email"], "email")
        # The address is proven by the account's confirmation link, so the form cannot name another one.
        if out["email"] != account_email.lower():
            raise InvalidInput(
                f"use your account's address ({account_email}); the checks and the confirmation link apply to it",
                field="email",
            )
    return out


def clean_signatory(policy: Policy, signatory: object) -> dict[str, str]:
    if policy.signatory is not Signatory.legal_authority:
        raise InvalidInput(
            "these terms are signed by the applicant; no separate signatory is needed", field="signatory"
        )
    if not isinstance(signatory, dict):
        raise InvalidInput("the signatory needs a name, title and e-mail", field="signatory")
    unknown = sorted(set(signatory) - set(SIGNATORY_FIELDS))
    if unknown:
        raise InvalidInput(f"unknown signatory field {unknown[0]!r}", field=f"signatory.{unknown[0]}")
    out = {k: _text(signatory.get(k), f"signatory.{k}", DEFAULT_LIMIT) for k in SIGNATORY_FIELDS}
    out["email"] = _email(out["email"], "signatory.email")
    return out


def missing_fields(policy: Policy, answers: dict[str, Any]) -> list[str]:
    return [f.value for f in policy.applicant_fields if not answers.get(f.value)]


def require_complete(policy: Policy, answers: dict[str, Any], signatory: dict[str, Any] | None) -> None:
    missing = missing_fields(policy, answers)
    if missing:
        raise InvalidInput(f"fill in {', '.join(_label(m) for m in missing)} first", field=missing[0])
    if policy.signatory is Signatory.legal_authority and not signatory:
        raise InvalidInput("name the signatory with legal authority for your institution", field="signatory")


def build_agreement(
    terms: Terms,
    *,
    slug: str,
    title: str,
    answers: dict[str, Any],
    applicant_email: str,
    signatory: dict[str, Any] | None,
) -> Agreement:
    rows = [(FIELD_LABELS[f], answers.get(f.value, "")) for f in terms.policy.applicant_fields]
    return Agreement(
        dataset_title=title,
        dataset_slug=slug,
        custodian=terms.custodian,
        policy_version=terms.version,
        clauses=terms.clauses(),
        answers=rows,
        applicant_email=applicant_email,
        signatory=signatory,
    )
