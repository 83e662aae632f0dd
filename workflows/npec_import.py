"""Import of France compétences' NPEC referential (CSV or XLSX) and the NPEC proposed for a dossier.

The referential has two tables: the NPEC per RNCP code × CPNE (sheet *Onglet 3*)
and the IDCC → CPNE correspondence (sheet *Onglet 4*). Rows that cannot be used
(NC/NR amounts, bad codes or dates) are reported with their line number, never
imported; valid rows are added or updated, and nothing already imported is
deleted. The choice of the applicable edition is a pure rule (rules.npec).
"""
import csv
import datetime as dt
import io
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path


from models import Employer, IdccCpne, NpecReference, db
from rules.npec import applicable_npec, parse_cpne_code, parse_idcc_code, parse_npec_cell, split_rncp_codes
from workflows.audit import record
from infrastructure.formatting import date_fr, parse_date_fr


class ReferentialError(ValueError):
    """The file as a whole cannot be read (format, missing columns)."""


def _key(text):
    """Header key insensitive to case, accents, apostrophes and spaces."""
    text = unicodedata.normalize("NFKD", str(text or "")).encode("ascii", "ignore").decode()
    return " ".join(text.replace("'", " ").replace("’", " ").lower().split())


NPEC_COLUMNS = {
    "rncp": _key("Code RNCP"), "training": _key("Libellé de la formation"), "certifier": _key("Certificateur"),
    "diploma": _key("Libellé du Diplôme"), "cpne_code": _key("Code CPNE"), "cpne": _key("CPNE"),
    "npec": _key("NPEC final"), "status": _key("Statut"), "date": _key("Date d'applicabilité des NPEC"),
}
IDCC_COLUMNS = {
    "idcc": _key("Code IDCC"), "idcc_label": _key("Libellé IDCC"), "cpne_code": _key("Code CPNE"),
    "cpne": _key("CPNE"),
}
NPEC_REQUIRED = ("rncp", "cpne_code", "npec", "date")
IDCC_REQUIRED = ("idcc", "cpne_code")


@dataclass
class ImportReport:
    npec_created: int = 0
    npec_updated: int = 0
    idcc_created: int = 0
    idcc_updated: int = 0
    rejected: list = field(default_factory=list)  # (table label, line number, reason)

    @property
    def imported(self):
        return self.npec_created + self.npec_updated + self.idcc_created + self.idcc_updated

    def summary(self):
        return (f"Référentiel NPEC : {self.npec_created} ligne(s) ajoutée(s), {self.npec_updated} mise(s) à jour ; "
                f"IDCC → CPNE : {self.idcc_created} ajoutée(s), {self.idcc_updated} mise(s) à jour ; "
                f"{len(self.rejected)} ligne(s) écartée(s).")


# --- reading the file ------------------------------------------------------------------------------

def read_tables(filename, data):
    """Return a list of (header row, data rows with their line numbers) found in a CSV or XLSX file."""
    suffix = Path(filename or "").suffix.lower()
    if suffix == ".xlsx":
        return _read_xlsx(data)
    if suffix in (".csv", ".txt"):
        return [_read_csv(data)]
    raise ReferentialError("Format non pris en charge : envoyez le fichier CSV ou XLSX de France compétences.")


def _read_csv(data):
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252")
    sample = text[:4096]
    delimiter = ";" if sample.count(";") >= sample.count(",") else ","
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    if not rows:
        raise ReferentialError("Le fichier est vide.")
    return rows[0], [(i, row) for i, row in enumerate(rows[1:], start=2)]


def _read_xlsx(data):
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise ReferentialError("Le fichier XLSX est illisible.") from exc
    tables = []
    try:
        for sheet in workbook.worksheets:
            rows = list(sheet.iter_rows(values_only=True))
            if rows:
                header = ["" if cell is None else str(cell) for cell in rows[0]]
                tables.append((header, [(i, list(row)) for i, row in enumerate(rows[1:], start=2)]))
    finally:
        workbook.close()
    return tables


def _columns(header, wanted):
    keys = [_key(h) for h in header]
    found = {}
    for name, key in wanted.items():
        if key in keys:
            found[name] = keys.index(key)
    return found


def _cell(row, index):
    if index is None or index >= len(row):
        return None
    return row[index]


def _text(value):
    return "" if value is None else str(value).strip()


def _date(value):
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return parse_date_fr(_text(value))


# --- importing -------------------------------------------------------------------------------------

def import_referential(filename, data, user=None):
    """Import every table found in the file, in one transaction; return an ImportReport."""
    tables = read_tables(filename, data)
    report = ImportReport()
    recognised = False
    with db.atomic():
        for header, rows in tables:
            npec_cols = _columns(header, NPEC_COLUMNS)
            idcc_cols = _columns(header, IDCC_COLUMNS)
            if all(name in npec_cols for name in NPEC_REQUIRED):
                recognised = True
                _import_npec(npec_cols, rows, report)
            elif all(name in idcc_cols for name in IDCC_REQUIRED):
                recognised = True
                _import_idcc(idcc_cols, rows, report)
        if not recognised:
            raise ReferentialError("Colonnes attendues introuvables : « Code RNCP », « Code CPNE », « NPEC final », "
                                   "« Date d'applicabilité des NPEC » (ou « Code IDCC », « Code CPNE »).")
        record("npec_reference", "import", "import", None,
               {"fichier": filename, "npec_ajoutees": report.npec_created, "npec_mises_a_jour": report.npec_updated,
                "idcc_ajoutees": report.idcc_created, "idcc_mises_a_jour": report.idcc_updated,
                "lignes_ecartees": len(report.rejected)}, user=user)
    return report


def _reject_code(report, table, line, what, cell):
    report.rejected.append((table, line, f"code {what} invalide ({_text(cell) or 'vide'})"))


def _import_npec(cols, rows, report):
    label = "Référentiel NPEC"
    for line, row in rows:
        if not any(_text(c) for c in row):
            continue
        codes, bad = split_rncp_codes(_cell(row, cols["rncp"]))
        if bad or not codes:
            _reject_code(report, label, line, "RNCP", _cell(row, cols["rncp"]))
            continue
        cpne = parse_cpne_code(_cell(row, cols["cpne_code"]))
        if cpne is None:
            _reject_code(report, label, line, "CPNE", _cell(row, cols["cpne_code"]))
            continue
        amount, reason = parse_npec_cell(_cell(row, cols["npec"]))
        if reason:
            report.rejected.append((label, line, reason))
            continue
        applicable_from = _date(_cell(row, cols["date"]))
        if applicable_from is None:
            report.rejected.append((label, line, "date d'applicabilité illisible (jj/mm/aaaa attendu)"))
            continue
        values = dict(
            npec=amount, status=_text(_cell(row, cols.get("status")))[:20] or "CPNE",
            cpne_label=_text(_cell(row, cols.get("cpne")))[:200],
            training_label=_text(_cell(row, cols.get("training")))[:250],
            diploma_label=_text(_cell(row, cols.get("diploma")))[:200],
            certifier=_text(_cell(row, cols.get("certifier")))[:200],
            imported_at=dt.datetime.now().replace(microsecond=0),
        )
        for code in codes:
            existing = NpecReference.get_or_none((NpecReference.rncp_code == code) & (NpecReference.cpne_code == cpne)
                                                 & (NpecReference.applicable_from == applicable_from))
            if existing is None:
                NpecReference.create(rncp_code=code, cpne_code=cpne, applicable_from=applicable_from, **values)
                report.npec_created += 1
            else:
                NpecReference.update(**values).where(NpecReference.id == existing.id).execute()
                report.npec_updated += 1


def _import_idcc(cols, rows, report):
    label = "IDCC → CPNE"
    for line, row in rows:
        if not any(_text(c) for c in row):
            continue
        idcc = parse_idcc_code(_cell(row, cols["idcc"]))
        if idcc is None:
            _reject_code(report, label, line, "IDCC", _cell(row, cols["idcc"]))
            continue
        cpne = parse_cpne_code(_cell(row, cols["cpne_code"]))
        if cpne is None:
            _reject_code(report, label, line, "CPNE", _cell(row, cols["cpne_code"]))
            continue
        values = dict(cpne_code=cpne, idcc_label=_text(_cell(row, cols.get("idcc_label")))[:200],
                      cpne_label=_text(_cell(row, cols.get("cpne")))[:200])
        updated = IdccCpne.update(**values).where(IdccCpne.idcc == idcc).execute()
        if updated:
            report.idcc_updated += 1
        else:
            IdccCpne.create(idcc=idcc, **values)
            report.idcc_created += 1


# --- the NPEC proposed for a dossier ---------------------------------------------------------------

@dataclass(frozen=True)
class NpecProposal:
    """What the referential says for a dossier: an amount, or why there is none."""

    npec: object = None  # Decimal or None
    applicable_from: object = None
    rncp_code: str = ""
    cpne_code: str = ""
    reason: str = ""

    @property
    def found(self):
        return self.npec is not None

    def describe(self):
        if self.found:
            return (f"{self.rncp_code} / CPNE {self.cpne_code}, édition applicable depuis le "
                    f"{date_fr(self.applicable_from)}")
        return self.reason


def propose_npec(dossier, employer=None):
    """The NPEC of the edition applicable at the dossier's conclusion date for its RNCP code and IDCC."""
    employer = employer or Employer.get_by_id(dossier.employer_id)
    if not dossier.rncp_code:
        return NpecProposal(reason="le dossier n'a pas de code RNCP")
    idcc = parse_idcc_code(employer.idcc)
    if idcc is None:
        return NpecProposal(rncp_code=dossier.rncp_code, reason="l'employeur n'a pas d'IDCC valide")
    link = IdccCpne.get_or_none(IdccCpne.idcc == idcc)
    if link is None:
        return NpecProposal(rncp_code=dossier.rncp_code,
                            reason=f"l'IDCC {idcc} n'a pas de CPNE dans le référentiel")
    candidates = list(NpecReference.select(NpecReference.applicable_from, NpecReference.npec)
                      .where((NpecReference.rncp_code == dossier.rncp_code)
                             & (NpecReference.cpne_code == link.cpne_code)).tuples())
    if not candidates:
        return NpecProposal(rncp_code=dossier.rncp_code, cpne_code=link.cpne_code,
                            reason=f"aucun NPEC au référentiel pour {dossier.rncp_code} / CPNE {link.cpne_code}")
    choice = applicable_npec(candidates, dossier.conclusion_date)
    if choice is None:
        return NpecProposal(rncp_code=dossier.rncp_code, cpne_code=link.cpne_code,
                            reason=(f"aucune édition du référentiel applicable au "
                                    f"{date_fr(dossier.conclusion_date)} pour {dossier.rncp_code} / "
                                    f"CPNE {link.cpne_code}"))
    return NpecProposal(npec=choice.npec, applicable_from=choice.applicable_from, rncp_code=dossier.rncp_code,
                        cpne_code=link.cpne_code)
