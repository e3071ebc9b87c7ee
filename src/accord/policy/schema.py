"""A dataset's licence terms as data. Everything downstream (form, agreement, checks, exports) derives from this."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Purpose(StrEnum):
    research = "research"
    teaching = "teaching"
    publication = "publication"
    personal_experimentation = "personal_experimentation"


class Commercial(StrEnum):
    forbidden = "forbidden"
    on_approval = "on_approval"


class Redistribution(StrEnum):
    forbidden = "forbidden"
    on_approval = "on_approval"
    single_site_internal = "single_site_internal"  # copies only inside one site of the licensee's organisation
    approved_unit_only = "approved_unit_only"  # not even to another unit of the same organisation


class Modification(StrEnum):
    allowed = "allowed"
    on_approval = "on_approval"
    forbidden = "forbidden"  # no changes at all (AT-USTC: only the custodian may modify it)


class Signatory(StrEnum):
    applicant = "applicant"
    legal_authority = "legal_authority"  # someone entitled to sign for the institution


class ReviewMode(StrEnum):
    automatic = "automatic"  # approved as soon as every check passes (click-through)
    single = "single"
    quorum = "quorum"  # N approvals out of the dataset's M reviewers


class ApplicantField(StrEnum):
    name = "name"
    honorific = "honorific"  # "NAME and TITLE" on CION-AL's form
    job_title = "job_title"
    nationality = "nationality"
    organisation = "organisation"
    department = "department"
    address = "address"
    email = "email"
    telephone = "telephone"
    purpose_statement = "purpose_statement"
    unit = "unit"  # the unit or site where the data will live


FIELD_LABELS = {
    ApplicantField.name: "Full name",
    ApplicantField.honorific: "Title (Dr, Prof, Ms, ...)",
    ApplicantField.job_title: "Job title",
    ApplicantField.nationality: "Nationality",
    ApplicantField.organisation: "Organisation",
    ApplicantField.department: "Department or laboratory",
    ApplicantField.address: "Postal address",
    ApplicantField.email: "Institutional e-mail",
    ApplicantField.telephone: "Telephone",
    ApplicantField.purpose_statement: "What will you use the data for?",
    ApplicantField.unit: "Unit or site where the data will be kept",
}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=False)


class Derivatives(Strict):
    must_declare: bool = False  # new annotations / derived data must be declared to the custodian
    custodian_may_list: bool = False  # the custodian may publish them on the dataset's page, crediting the authors
    users_must_cite_original: bool = False  # users of the derivative must cite the original dataset
    state_relationship: bool = False  # the derivative's homepage must say how it relates to the original


class Citation(Strict):
    text: str = Field(min_length=3)
    bibtex: str = ""
    include_upgraded_versions: bool = False  # "or any of its upgraded versions"


class Privacy(Strict):
    no_identification: bool = True  # never try to identify or contact the people shown
    protect_subjects: bool = True  # keep the data secure; protect the subjects' privacy
    removal_requests: bool = True  # subjects may ask to be removed; licensees must delete on notice
    licensee_liable_for_misuse: bool = False  # the licensee bears losses caused by misuse (indemnity)
    # Anyone may read the versions' file lists (paths, sha256, subject labels, attributes): only where the terms
    # allow it, since a file list tells whoever holds a photo whether, and as whom, a person is in the dataset.
    publish_manifest: bool = False
    deletion_days: int = Field(default=30, ge=1, le=365)  # a licensee's time to delete files removed on request
    pause_while_notice_overdue: bool = False  # access pauses while a deletion notice is past its due date


class Training(Strict):
    name: str = "Human-subjects research training"
    valid_days: int = Field(default=730, ge=1)
    on_expiry: str = Field(default="pause", pattern="^(pause|end)$")


class Review(Strict):
    mode: ReviewMode = ReviewMode.single
    approvals_needed: int = Field(default=1, ge=1)
    response_days: int = Field(default=14, ge=1)  # past this an application counts as overdue


class CustomClause(Strict):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]{1,40}$")
    title: str = Field(min_length=2)
    text: str = Field(min_length=5)


class Policy(Strict):
    """One version of a dataset's terms."""

    purposes: list[Purpose] = Field(min_length=1)
    commercial_use: Commercial = Commercial.forbidden
    no_promotion: bool = False  # the data may not be used to advertise a product or technology
    redistribution: Redistribution = Redistribution.forbidden
    modification: Modification = Modification.allowed
    derivatives: Derivatives = Derivatives()
    citations: list[Citation] = Field(default_factory=list)
    link_allowed_instead_of_citation: bool = False  # non-paper media may link to the homepage instead
    # Licensees are asked this often, while their access runs, to register the papers that used the data
    ask_for_publications_days: int | None = Field(default=None, ge=30, le=3650)
    privacy: Privacy = Privacy()
    signatory: Signatory = Signatory.applicant
    institutional_email: bool = False
    applicant_fields: list[ApplicantField] = Field(default_factory=lambda: [ApplicantField.name, ApplicantField.email])
    access_days: int | None = Field(default=None, ge=1)  # None: no fixed end
    covers_future_versions: bool = False
    custodian_may_terminate: bool = False
    rights_reserved: bool = True  # whatever is not granted stays with the custodian
    review: Review = Review()
    training: Training | None = None
    custom_clauses: list[CustomClause] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> Policy:
        if ApplicantField.email not in self.applicant_fields:
            raise ValueError("applicant_fields must include email: every applicant is contacted by e-mail")
        if len(set(self.applicant_fields)) != len(self.applicant_fields):
            raise ValueError("applicant_fields lists a field twice")
        if (
            self.redistribution is Redistribution.approved_unit_only
            and ApplicantField.unit not in self.applicant_fields
        ):
            raise ValueError("redistribution 'approved_unit_only' needs the 'unit' applicant field to name the unit")
        if (
            self.redistribution is Redistribution.single_site_internal
            and ApplicantField.unit not in self.applicant_fields
        ):
            raise ValueError("redistribution 'single_site_internal' needs the 'unit' applicant field to name the site")
        if self.review.mode is ReviewMode.automatic and self.signatory is Signatory.legal_authority:
            raise ValueError("automatic review cannot be combined with a separate legal signatory")
        if self.review.mode is not ReviewMode.quorum and self.review.approvals_needed != 1:
            raise ValueError("approvals_needed other than 1 needs review mode 'quorum'")
        if self.derivatives.custodian_may_list and not self.derivatives.must_declare:
            raise ValueError("the custodian can only list derivatives that are declared (derivatives.must_declare)")
        keys = [c.key for c in self.custom_clauses]
        if len(set(keys)) != len(keys):
            raise ValueError("custom clause keys must be unique")
        return self
