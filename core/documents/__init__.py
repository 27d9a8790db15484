"""PDF documents: one A4 renderer on ReportLab with the project's CJK font embedded (a subset).

`Document` builds a document block by block (cover, headings, paragraphs, tables with repeated
header rows, vector charts, images) and renders it with a real text layer; `charts` draws the
vector charts. Domain modules say what a document contains; this package says how it looks.
"""
from core.documents.charts import number, scale
from core.documents.document import PLATFORM_NAME, WIDTH, Document

__all__ = ["Document", "PLATFORM_NAME", "WIDTH", "number", "scale"]
