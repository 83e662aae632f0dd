"""PDF rendering with xhtml2pdf from Jinja templates in templates/pdf/ (one template per document)."""
import io

from flask import render_template
from xhtml2pdf import pisa


class PdfError(RuntimeError):
    pass


def render_pdf(template, **context) -> bytes:
    html = render_template(template, **context)
    out = io.BytesIO()
    result = pisa.CreatePDF(src=html, dest=out, encoding="utf-8")
    if result.err:
        raise PdfError(f"Génération du PDF impossible ({template})")
    return out.getvalue()
