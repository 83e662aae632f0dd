"""Import of France compétences' NPEC referential (CLI and back-office upload) and the NPEC proposed to Engager."""
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest

import models
from rules.npec import applicable_npec, parse_npec_cell, split_rncp_codes
from workflows.npec_import import propose_npec

# The sample of shared/data (same shape as the real file; amounts invented), as an Excel user exports it.
NPEC_CSV = """Code RNCP;Libellé de la formation;Certificateur;Libellé du Diplôme;Code CPNE;CPNE;NPEC final;Statut;Date d'applicabilité des NPEC
RNCP35320;BTS Management commercial opérationnel;Ministère de l'Enseignement supérieur;BTS;0032;CPNE du commerce de détail;7000;CPNE;01/09/2025
RNCP35320;BTS Management commercial opérationnel;Ministère de l'Enseignement supérieur;BTS;0115;CPNE des services automobiles;7400;CPNE;01/09/2025
RNCP38368/RNCP34031;BTS Négociation et digitalisation de la relation client;Ministère de l'Enseignement supérieur;BTS;0032;CPNE du commerce de détail;7300;CPNE;01/09/2025
RNCP36004;Diplôme d'État d'ambulancier;Ministère de la Santé;DE;0245;CPNE de la branche sanitaire privée;8200;CPNE;01/09/2025
RNCP37489;Diplôme d'État d'aide-soignant;Ministère de la Santé;DE;0245;CPNE de la branche sanitaire privée;9500;CPNE;01/09/2025
RNCP37489;Diplôme d'État d'aide-soignant;Ministère de la Santé;DE;0312;CPNE des établissements privés non lucratifs;9350;Carence;01/09/2025
RNCP38511;Licence professionnelle Métiers de la gestion et de la comptabilité;Université;Licence professionnelle;0032;CPNE du commerce de détail;8500;CPNE;01/09/2025
RNCP35430;Titre professionnel Secrétaire comptable;Ministère du Travail;TP;0115;CPNE des services automobiles;6800;CPNE;01/09/2025
RNCP36128;CAP Maintenance des véhicules option voitures particulières;Ministère de l'Éducation nationale;CAP;0115;CPNE des services automobiles;8900;CPNE;01/09/2025
RNCP35475;Master Management des ressources humaines;Université;Master;0032;CPNE du commerce de détail;NC;NC;01/09/2025
RNCP34825;Bac pro Métiers de l'accueil;Ministère de l'Éducation nationale;Bac pro;0032;CPNE du commerce de détail;NR;NR;01/09/2025
RNCPX1;Ligne au code RNCP invalide;?;?;0032;CPNE du commerce de détail;6000;CPNE;01/09/2025
RNCP36004;Diplôme d'État d'ambulancier;Ministère de la Santé;DE;0245;CPNE de la branche sanitaire privée;8600;CPNE;15/07/2024
RNCP35320;BTS Management commercial opérationnel;Ministère de l'Enseignement supérieur;BTS;0032;CPNE du commerce de détail;7350;CPNE;15/07/2024
"""
IDCC_CSV = """Code IDCC;Libellé IDCC;Code CPNE;CPNE
2216;Commerce de détail et de gros à prédominance alimentaire;0032;CPNE du commerce de détail
1090;Services de l'automobile;0115;CPNE des services automobiles
2264;Hospitalisation privée;0245;CPNE de la branche sanitaire privée
0029;Hospitalisation privée à but non lucratif;0312;CPNE des établissements privés non lucratifs
NC;Sans convention collective;0999;CPNE interprofessionnelle
"""


def as_upload(text):
    return ("\ufeff" + text).encode("utf-8")


def sample_xlsx():
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, text in (("Onglet 3 - référentiel NPEC", NPEC_CSV), ("Onglet 4 - CPNE-IDCC", IDCC_CSV)):
        sheet = workbook.create_sheet(title)
        for line in text.strip().splitlines():
            sheet.append(line.split(";"))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def npec_rows():
    return {(r.rncp_code, r.cpne_code, r.applicable_from): r.npec for r in models.NpecReference.select()}


# --- the pure rules -------------------------------------------------------------------------------------

EDITIONS = [(dt.date(2024, 7, 15), Decimal("7350")), (dt.date(2025, 9, 1), Decimal("7000"))]


@pytest.mark.parametrize("day,expected", [
    (dt.date(2024, 7, 14), None),
    (dt.date(2024, 7, 15), Decimal("7350.00")),
    (dt.date(2025, 8, 31), Decimal("7350.00")),
    (dt.date(2025, 9, 1), Decimal("7000.00")),
    (dt.date(2030, 1, 1), Decimal("7000.00")),
])
def test_the_edition_applicable_is_the_latest_one_in_force_at_the_conclusion_date(day, expected):
    choice = applicable_npec(EDITIONS, day)
    assert (choice.npec if choice else None) == expected


def test_the_edition_order_in_the_file_does_not_matter():
    assert applicable_npec(list(reversed(EDITIONS)), dt.date(2026, 1, 1)).applicable_from == dt.date(2025, 9, 1)


def test_an_rncp_cell_may_hold_several_codes_and_bad_pieces_are_reported():
    assert split_rncp_codes("RNCP38368/RNCP34031") == (["RNCP38368", "RNCP34031"], [])
    assert split_rncp_codes(" RNCP35320 ") == (["RNCP35320"], [])
    assert split_rncp_codes("RNCPX1") == ([], ["RNCPX1"])


@pytest.mark.parametrize("cell,amount,reason", [
    ("7000", Decimal("7000.00"), None), ("7 250,50", Decimal("7250.50"), None), (8900.0, Decimal("8900.00"), None),
    ("NC", None, "NPEC non défini (NC)"), ("nr", None, "NPEC non défini (NR)"), ("", None, "NPEC vide"),
    ("-5", None, "NPEC invalide (-5)"), ("abc", None, "NPEC illisible (abc)"),
])
def test_npec_cells_are_read_as_amounts_or_reported(cell, amount, reason):
    assert parse_npec_cell(cell) == (amount, reason)


# --- the CLI --------------------------------------------------------------------------------------------

def test_cli_imports_the_csv_referential_and_reports_the_rows_it_cannot_use(app, db, tmp_path):
    path = tmp_path / "npec.csv"
    path.write_bytes(as_upload(NPEC_CSV))
    result = app.test_cli_runner().invoke(args=["import-npec", str(path)])
    assert result.exit_code == 0, result.output
    rows = npec_rows()
    assert len(rows) == 12  # 11 usable lines, one of which holds two RNCP codes
    assert rows[("RNCP38368", "0032", dt.date(2025, 9, 1))] == Decimal("7300.00")
    assert rows[("RNCP34031", "0032", dt.date(2025, 9, 1))] == Decimal("7300.00")
    assert rows[("RNCP35320", "0032", dt.date(2024, 7, 15))] == Decimal("7350.00")
    assert not any(code in ("RNCP35475", "RNCP34825") for code, _, _ in rows)
    assert "12 ligne(s) ajoutée(s)" in result.output and "3 ligne(s) écartée(s)" in result.output
    assert "ligne 11 : NPEC non défini (NC)" in result.output
    assert "ligne 12 : NPEC non défini (NR)" in result.output
    assert "ligne 13 : code RNCP invalide (RNCPX1)" in result.output


def test_cli_imports_both_sheets_of_the_xlsx_file(app, db, tmp_path):
    path = tmp_path / "referentiel.xlsx"
    path.write_bytes(sample_xlsx())
    result = app.test_cli_runner().invoke(args=["import-npec", str(path)])
    assert result.exit_code == 0, result.output
    assert len(npec_rows()) == 12
    links = {r.idcc: r.cpne_code for r in models.IdccCpne.select()}
    assert links == {"2216": "0032", "1090": "0115", "2264": "0245", "0029": "0312"}
    assert "IDCC → CPNE, ligne 6 : code IDCC invalide (NC)" in result.output


def test_cli_imports_the_idcc_to_cpne_csv_on_its_own(app, db, tmp_path):
    path = tmp_path / "idcc.csv"
    path.write_bytes(as_upload(IDCC_CSV))
    result = app.test_cli_runner().invoke(args=["import-npec", str(path)])
    assert result.exit_code == 0, result.output
    assert models.IdccCpne.get(models.IdccCpne.idcc == "0029").cpne_code == "0312"
    assert "IDCC → CPNE : 4 ajoutée(s)" in result.output and "ligne 6 : code IDCC invalide (NC)" in result.output


def test_cli_refuses_a_file_that_is_not_the_referential(app, db, tmp_path):
    path = tmp_path / "autre.csv"
    path.write_bytes(as_upload("Nom;Prénom\nDupont;Léa\n"))
    result = app.test_cli_runner().invoke(args=["import-npec", str(path)])
    assert result.exit_code != 0
    assert "Colonnes attendues introuvables" in result.output
    assert models.NpecReference.select().count() == 0


def test_a_new_import_keeps_what_was_imported_before_and_updates_the_same_rows(app, db, tmp_path):
    first = tmp_path / "edition-2024.csv"
    header, *lines = NPEC_CSV.strip().splitlines()
    first.write_bytes(as_upload("\n".join([header] + [l for l in lines if l.endswith("15/07/2024")])))
    app.test_cli_runner().invoke(args=["import-npec", str(first)])
    second = tmp_path / "edition-2025.csv"
    changed = [l.replace(";7000;", ";7050;") for l in lines if l.endswith("01/09/2025")]
    second.write_bytes(as_upload("\n".join([header] + changed)))
    result = app.test_cli_runner().invoke(args=["import-npec", str(second)])
    assert result.exit_code == 0
    rows = npec_rows()
    assert rows[("RNCP35320", "0032", dt.date(2024, 7, 15))] == Decimal("7350.00")  # kept
    assert rows[("RNCP36004", "0245", dt.date(2024, 7, 15))] == Decimal("8600.00")  # kept
    assert rows[("RNCP35320", "0032", dt.date(2025, 9, 1))] == Decimal("7050.00")
    again = app.test_cli_runner().invoke(args=["import-npec", str(second)])
    assert "0 ligne(s) ajoutée(s), 10 mise(s) à jour" in again.output
    assert len(npec_rows()) == 12


# --- the back-office upload -----------------------------------------------------------------------------

def upload(client, name, data, with_token=True):
    payload = {"file": (io.BytesIO(data), name)}
    if with_token:
        return client.post_form("/admin/npecreference/import/", payload, content_type="multipart/form-data")
    return client.post("/admin/npecreference/import/", data=payload, content_type="multipart/form-data")


def test_an_administrator_uploads_the_referential_and_sees_the_report(make_client, factory):
    admin = factory.staff("admin")
    client = make_client(admin.email)
    page = client.get("/admin/npecreference/")
    assert "/admin/npecreference/import/" in page.get_data(as_text=True)
    response = upload(client, "referentiel.xlsx", sample_xlsx())
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "12 ligne(s) ajoutée(s)" in text and "RNCPX1" in text and "NPEC non défini (NC)" in text
    assert len(npec_rows()) == 12 and models.IdccCpne.select().count() == 4
    entry = models.AuditEntry.get(models.AuditEntry.entity == "npec_reference")
    assert entry.actor == admin.email and entry.after["npec_ajoutees"] == 12 and entry.after["lignes_ecartees"] == 4


def test_an_upload_of_another_format_is_a_400_that_imports_nothing(make_client, factory):
    client = make_client(factory.staff("admin").email)
    response = upload(client, "referentiel.pdf", b"%PDF-1.4")
    assert response.status_code == 400
    assert "Format non pris en charge" in response.get_data(as_text=True)
    response = upload(client, "referentiel.xlsx", b"not a workbook")
    assert response.status_code == 400 and "illisible" in response.get_data(as_text=True)
    assert models.NpecReference.select().count() == 0


def test_the_upload_needs_an_administrator_and_a_csrf_token(make_client, factory):
    advisor = make_client(factory.staff("conseiller").email)
    assert advisor.get("/admin/npecreference/import/").status_code == 403
    assert upload(advisor, "npec.csv", as_upload(NPEC_CSV)).status_code == 403
    admin = make_client(factory.staff("admin").email)
    assert upload(admin, "npec.csv", as_upload(NPEC_CSV), with_token=False).status_code == 400
    assert models.NpecReference.select().count() == 0


# --- the NPEC proposed to Engager -----------------------------------------------------------------------

@pytest.fixture
def referential(app, db, tmp_path):
    path = tmp_path / "referentiel.xlsx"
    path.write_bytes(sample_xlsx())
    app.test_cli_runner().invoke(args=["import-npec", str(path)])


@pytest.mark.parametrize("idcc,conclusion,expected", [
    ("2216", dt.date(2025, 8, 20), Decimal("7350.00")),   # CPNE 0032, edition of 15/07/2024
    ("2216", dt.date(2025, 9, 10), Decimal("7000.00")),   # CPNE 0032, edition of 01/09/2025
    ("1090", dt.date(2025, 9, 10), Decimal("7400.00")),   # CPNE 0115
])
def test_engager_proposes_the_npec_for_the_rncp_code_the_employer_idcc_and_the_conclusion_date(
        factory, referential, idcc, conclusion, expected):
    dossier = factory.dossier(employer=factory.employer(idcc=idcc), rncp_code="RNCP35320",
                              conclusion_date=conclusion)
    proposal = propose_npec(dossier)
    assert proposal.found and proposal.npec == expected


def test_no_proposal_is_made_when_no_edition_applies_yet_and_the_reason_is_given(factory, referential):
    dossier = factory.dossier(employer=factory.employer(idcc="1090"), rncp_code="RNCP35320",
                              conclusion_date=dt.date(2025, 8, 20))
    proposal = propose_npec(dossier)
    assert not proposal.found
    assert proposal.reason == ("aucune édition du référentiel applicable au 20/08/2025 pour RNCP35320 / "
                               "CPNE 0115")


def test_no_proposal_for_an_employer_whose_idcc_has_no_cpne(factory, referential):
    dossier = factory.dossier(employer=factory.employer(idcc="9999"), rncp_code="RNCP35320")
    assert propose_npec(dossier).reason == "l'IDCC 9999 n'a pas de CPNE dans le référentiel"
