"""The curator's terms editor (form, YAML, live preview) and the licensee's re-acceptance page."""

import re
from html import unescape

from sqlalchemy import func, select

from accord.db import unit_of_work
from accord.entitlements import service as entitlements
from accord.policy import service as policies
from accord.policy.io import seed
from accord.policy.models import PolicyVersion
from accord.policy.schema import CustomClause
from tests.access.helpers import dataset_with_terms, person
from tests.identity.helpers import csrf, log_in

EDITOR = "/admin/datasets/shhq/terms"


def fields_of(page: str) -> dict:
    """What the browser would submit for the editor form as it stands (checked boxes, selected options)."""
    form = page.split('id="terms-form"', 1)[1].split("</form>", 1)[0]
    data: dict = {}
    for tag in re.findall(r"<input [^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        if not name:
            continue
        kind = (re.search(r'type="([^"]+)"', tag) or [None, "text"])[1]
        value = re.search(r'value="([^"]*)"', tag)
        if kind == "checkbox":
            if " checked" in tag:
                data.setdefault(name[1], []).append(unescape(value[1]) if value else "on")
        else:
            data[name[1]] = unescape(value[1]) if value else ""
    for name, body in re.findall(r'<select [^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.DOTALL):
        chosen = re.search(r'<option value="([^"]*)" selected', body) or re.search(r'<option value="([^"]*)"', body)
        data[name] = chosen[1]  # a browser sends the first option when none is selected
    for name, body in re.findall(r'<textarea [^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.DOTALL):
        data[name] = unescape(body)
    return data


def versions(rt, dataset) -> int:
    with rt.session() as db:
        return db.scalar(select(func.count()).where(PolicyVersion.dataset_id == dataset.id))


def curator_in(client, rt, tmp_path):
    dataset = dataset_with_terms(rt, tmp_path, "shhq")
    with rt.session() as db:
        person(db, "cur@lab.example", "curator")
    log_in(client, "cur@lab.example")
    return dataset


def test_a_curator_changes_the_terms_in_the_form_and_a_second_version_is_made(client, rt, tmp_path):
    dataset = curator_in(client, rt, tmp_path)
    page = client.get(EDITOR)
    assert page.status_code == 200 and "Current version 1." in page.text
    data = fields_of(page.text)
    assert data["redistribution"] == "single_site_internal" and "research" in data["purposes"]
    data["access_days"] = "180"
    data["note"] = "access now ends after six months"
    saved = client.post(EDITOR, data=data, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == f"{EDITOR}?notice=saved"
    with rt.session() as db:
        terms = policies.get(db, dataset.id)
        assert terms.version == 2 and terms.policy.access_days == 180 and terms.row.note.startswith("access now")
        rest = terms.policy.model_copy(update={"access_days": seed("shhq").access_days})
        assert rest == seed("shhq")  # every other field came back from the form unchanged
    again = client.post(EDITOR, data=data, follow_redirects=True)
    assert "Nothing changed" in again.text and versions(rt, dataset) == 2


def test_both_note_fields_start_empty_so_a_save_as_prefilled_stores_no_stray_text(client, rt, tmp_path):
    dataset = curator_in(client, rt, tmp_path)
    page = client.get(EDITOR).text
    data = fields_of(page)
    assert data["note"] == ""  # was "<Macro 'note'>": the field-error macro shadowed the note variable
    yaml_form = page.split('action="/admin/datasets/shhq/terms/yaml"', 1)[1].split("</form>", 1)[0]
    assert re.search(r'id="f-yaml-note" name="note" type="text" value=""', yaml_form)
    data["access_days"] = "180"  # one change so that a version is made; the note left as the page gave it
    client.post(EDITOR, data=data, follow_redirects=False)
    with rt.session() as db:
        terms = policies.get(db, dataset.id)
        assert terms.version == 2 and terms.row.note == ""


def test_a_citation_is_added_through_the_blank_row_without_javascript(client, rt, tmp_path):
    dataset = curator_in(client, rt, tmp_path)
    data = fields_of(client.get(EDITOR).text)
    blank = max(int(n.split(".")[1]) for n in data if n.startswith("citations.") and n.endswith(".text"))
    assert data[f"citations.{blank}.text"] == ""
    data[f"citations.{blank}.text"] = "Fu et al., StyleGAN-Human, ECCV 2022"
    client.post(EDITOR, data=data)
    with rt.session() as db:
        cited = [c.text for c in policies.get(db, dataset.id).policy.citations]
    assert cited[-1] == "Fu et al., StyleGAN-Human, ECCV 2022" and len(cited) == len(seed("shhq").citations) + 1


def test_invalid_values_are_shown_next_to_their_fields_and_nothing_is_saved(client, rt, tmp_path):
    dataset = curator_in(client, rt, tmp_path)
    data = fields_of(client.get(EDITOR).text)
    data.pop("purposes")
    data["access_days"] = "0"
    data["applicant_fields"] = [f for f in data["applicant_fields"] if f != "email"]
    response = client.post(EDITOR, data=data)
    assert response.status_code == 422
    assert re.search(r'id="f-access_days"[^>]*aria-invalid="true" aria-describedby="e-access_days"', response.text)
    assert re.search(r'id="e-access_days"[^>]*>Input should be greater than or equal to 1', response.text)
    assert 'id="e-purposes"' in response.text
    assert 'value="0"' in response.text  # what was typed is kept
    assert versions(rt, dataset) == 1


def test_a_rule_across_fields_is_shown_next_to_the_field_it_names(client, rt, tmp_path):
    dataset = curator_in(client, rt, tmp_path)
    data = fields_of(client.get(EDITOR).text)
    data["applicant_fields"] = [f for f in data["applicant_fields"] if f != "email"]
    response = client.post(EDITOR, data=data)
    assert response.status_code == 422
    assert re.search(r'id="e-applicant_fields"[^>]*>applicant_fields must include email', response.text)
    assert versions(rt, dataset) == 1


def test_the_preview_shows_the_clauses_form_and_diff_and_saves_nothing(client, rt, tmp_path):
    dataset = curator_in(client, rt, tmp_path)
    data = fields_of(client.get(EDITOR).text)
    data["commercial_use"] = "on_approval"
    panel = client.post(f"{EDITOR}/preview", data=data, headers={"HX-Request": "true"})
    assert panel.status_code == 200 and panel.text.lstrip().startswith('<div id="preview"')
    assert "anything derived from it commercially without prior approval from" in panel.text
    assert "Compared with the current version 1" in panel.text and "Commercial use</strong> (changed)" in panel.text
    assert "Unit or site where the data will be kept" in panel.text
    whole = client.post(f"{EDITOR}/preview", data=data)  # the Preview button, without JS
    assert whole.status_code == 200 and 'id="terms-form"' in whole.text and "(changed)" in whole.text
    assert versions(rt, dataset) == 1


def test_terms_can_be_saved_as_yaml_and_bad_yaml_is_shown_at_the_textarea(client, rt, tmp_path):
    dataset = curator_in(client, rt, tmp_path)
    token = csrf(client, EDITOR)
    bad = client.post(f"{EDITOR}/yaml", data={"csrf_token": token, "policy": "purposes: [gardening]\n"})
    assert bad.status_code == 422 and 'id="e-policy"' in bad.text and "gardening" in bad.text
    assert versions(rt, dataset) == 1
    good = client.post(
        f"{EDITOR}/yaml",
        data={"csrf_token": token, "policy": "purposes: [research, teaching]\n", "note": "simplified"},
        follow_redirects=False,
    )
    assert good.headers["location"] == f"{EDITOR}?notice=saved"
    with rt.session() as db:
        assert policies.get(db, dataset.id).policy.purposes == ["research", "teaching"]


def test_an_applicant_cannot_open_or_post_the_editor(client, rt, tmp_path):
    dataset = dataset_with_terms(rt, tmp_path, "shhq")
    with rt.session() as db:
        person(db, "ana@mit.edu")
    log_in(client, "ana@mit.edu")
    assert client.get(EDITOR).status_code == 403
    token = csrf(client, "/account")
    for path in (EDITOR, f"{EDITOR}/preview", f"{EDITOR}/yaml"):
        assert (
            client.post(
                path, data={"csrf_token": token, "purposes": "research", "policy": "purposes: [research]"}
            ).status_code
            == 403
        )
    assert versions(rt, dataset) == 1


def test_a_forged_csrf_token_is_refused_and_nothing_is_saved(client, rt, tmp_path):
    dataset = curator_in(client, rt, tmp_path)
    data = fields_of(client.get(EDITOR).text)
    data["access_days"] = "90"
    data["csrf_token"] = "forged"
    assert client.post(EDITOR, data=data).status_code == 403
    assert (
        client.post(f"{EDITOR}/yaml", data={"csrf_token": "forged", "policy": "purposes: [research]"}).status_code
        == 403
    )
    assert versions(rt, dataset) == 1


# --- re-acceptance -------------------------------------------------------------------------------------------


def paused_licensee(client, rt, tmp_path):
    dataset = dataset_with_terms(rt, tmp_path, "shhq")
    with rt.session() as db:
        ana = person(db, "ana@mit.edu")
        with unit_of_work(db):
            ent = entitlements.grant(db, dataset_id=dataset.id, user_id=ana.id, policy_version=1, actor="cli")
        policies.set_policy(db, dataset.id, seed("shhq").model_copy(update={"access_days": 90}), actor="cli")
    log_in(client, "ana@mit.edu")
    return dataset, ana, ent


def test_the_licensee_reads_the_changed_clauses_accepts_each_and_access_resumes(client, rt, tmp_path):
    dataset, ana, _ent = paused_licensee(client, rt, tmp_path)
    page = client.get("/datasets/shhq/terms/accept")
    assert page.status_code == 200 and "from version 1, which you accepted, to version 2" in page.text
    assert 'name="ack" value="duration"' in page.text and "Access lasts 90 days" in page.text
    assert 'name="version" value="2"' in page.text
    token = csrf(client, "/datasets/shhq/terms/accept")
    unticked = client.post(
        "/datasets/shhq/terms/accept", data={"csrf_token": token, "version": "2", "full_name": "Ana Lima"}
    )
    assert unticked.status_code == 422 and 'id="e-ack"' in unticked.text and "Duration" in unticked.text
    unnamed = client.post("/datasets/shhq/terms/accept", data={"csrf_token": token, "version": "2", "ack": "duration"})
    assert unnamed.status_code == 422 and 'id="e-full_name"' in unnamed.text
    with rt.session() as db:
        assert not entitlements.check(db, ana, dataset.id).allowed
    done = client.post(
        "/datasets/shhq/terms/accept",
        data={"csrf_token": token, "version": "2", "ack": "duration", "full_name": "Ana Lima"},
        follow_redirects=True,
    )
    assert "your access has resumed" in done.text and "You have accepted the current terms (version 2)" in done.text
    with rt.session() as db:
        assert entitlements.check(db, ana, dataset.id).allowed


def test_a_page_read_before_the_terms_changed_again_is_refused(client, rt, tmp_path):
    dataset, _ana, ent = paused_licensee(client, rt, tmp_path)
    token = csrf(client, "/datasets/shhq/terms/accept")
    with rt.session() as db:
        policies.set_policy(db, dataset.id, seed("shhq").model_copy(update={"access_days": 30}), actor="cli")
    stale = client.post(
        "/datasets/shhq/terms/accept",
        data={"csrf_token": token, "version": "2", "ack": "duration", "full_name": "Ana Lima"},
    )
    assert stale.status_code == 409 and "now at version 3, not 2" in stale.text
    assert 'name="version" value="3"' in stale.text  # the page now shows the current terms
    with rt.session() as db:
        assert entitlements.get(db, ent.id).policy_version == 1


def test_someone_without_a_grant_has_nothing_to_accept(client, rt, tmp_path):
    dataset_with_terms(rt, tmp_path, "shhq")
    with rt.session() as db:
        person(db, "bo@mit.edu")
    log_in(client, "bo@mit.edu")
    assert client.get("/datasets/shhq/terms/accept").status_code == 404


def test_a_revoked_grant_is_shown_as_ended_and_cannot_be_accepted_back(client, rt, tmp_path):
    _dataset, _ana, ent = paused_licensee(client, rt, tmp_path)
    with rt.session() as db:
        entitlements.revoke(db, ent.id, actor="cli", reason="breach of the single-site clause")
    page = client.get("/datasets/shhq/terms/accept")
    assert "was ended on" in page.text and "breach of the single-site clause" in page.text
    assert 'name="ack"' not in page.text
    token = csrf(client, "/datasets/shhq/terms/accept")
    refused = client.post(
        "/datasets/shhq/terms/accept",
        data={"csrf_token": token, "version": "2", "ack": "duration", "full_name": "Ana Lima"},
    )
    assert refused.status_code == 409
    with rt.session() as db:
        assert entitlements.get(db, ent.id).policy_version == 1


def test_custom_clauses_set_in_yaml_survive_a_save_from_the_form(client, rt, tmp_path):
    dataset = curator_in(client, rt, tmp_path)
    with rt.session() as db:
        clause = CustomClause(key="no_faces", title="No face crops", text="Do not publish crops of faces.")
        policies.set_policy(db, dataset.id, seed("shhq").model_copy(update={"custom_clauses": [clause]}), actor="cli")
    data = fields_of(client.get(EDITOR).text)
    data["access_days"] = "30"
    client.post(EDITOR, data=data)
    with rt.session() as db:
        terms = policies.get(db, dataset.id)
    assert terms.version == 3 and [c.key for c in terms.policy.custom_clauses] == ["no_faces"]


def test_a_dataset_without_terms_gets_its_first_version_from_the_editor(client, rt, tmp_path):
    from tests.jobs.catalogue import published_dataset

    dataset, _ = published_dataset(rt, tmp_path, "fresh", title="Fresh: new images", count=1, previews=0)
    with rt.session() as db:
        person(db, "cur@lab.example", "curator")
    log_in(client, "cur@lab.example")
    page = client.get("/admin/datasets/fresh/terms")
    assert "No terms yet" in page.text and "Compared with" not in page.text
    saved = client.post("/admin/datasets/fresh/terms", data=fields_of(page.text), follow_redirects=False)
    assert saved.headers["location"].endswith("?notice=saved")
    with rt.session() as db:
        assert policies.get(db, dataset.id).version == 1
