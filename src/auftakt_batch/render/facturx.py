"""What makes an invoice PDF a Factur-X (ZUGFeRD 2) e-invoice: the CII XML embedded as
factur-x.xml (relationship Alternative) in a PDF/A-3b, and the Factur-X XMP properties that
tell a reader it is there. WeasyPrint writes the PDF/A-3b; `finisher` puts the Factur-X
properties into its XMP packet — one rdf:RDF, each Description declaring its own namespaces, as
strict XMP readers (Adobe's toolkit, PDFBox) want — and lists the attachment once in /AF.
"""

from __future__ import annotations

import copy
from typing import Any

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"

FILENAME = "factur-x.xml"
CONFORMANCE = "EN 16931"

XMP = """<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:fx="urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#">
    <fx:DocumentType>INVOICE</fx:DocumentType>
    <fx:DocumentFileName>{filename}</fx:DocumentFileName>
    <fx:Version>1.0</fx:Version>
    <fx:ConformanceLevel>{conformance}</fx:ConformanceLevel>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/"
      xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#" xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">
    <pdfaExtension:schemas>
      <rdf:Bag>
        <rdf:li rdf:parseType="Resource">
          <pdfaSchema:schema>Factur-X PDFA Extension Schema</pdfaSchema:schema>
          <pdfaSchema:namespaceURI>urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#</pdfaSchema:namespaceURI>
          <pdfaSchema:prefix>fx</pdfaSchema:prefix>
          <pdfaSchema:property>
            <rdf:Seq>{properties}
            </rdf:Seq>
          </pdfaSchema:property>
        </rdf:li>
      </rdf:Bag>
    </pdfaExtension:schemas>
  </rdf:Description>
</rdf:RDF>
"""
PROPERTY = """
              <rdf:li rdf:parseType="Resource">
                <pdfaProperty:name>{name}</pdfaProperty:name>
                <pdfaProperty:valueType>Text</pdfaProperty:valueType>
                <pdfaProperty:category>external</pdfaProperty:category>
                <pdfaProperty:description>{description}</pdfaProperty:description>
              </rdf:li>"""
PROPERTIES = (("DocumentFileName", "The name of the embedded XML document"),
              ("DocumentType", "The type of the hybrid document in capital letters, e.g. INVOICE or ORDER"),
              ("Version", "The actual version of the standard applying to the embedded XML document"),
              ("ConformanceLevel", "The conformance level of the embedded XML document"))


def xmp() -> bytes:
    properties = "".join(PROPERTY.format(name=n, description=d) for n, d in PROPERTIES)
    return XMP.format(filename=FILENAME, conformance=CONFORMANCE, properties=properties).encode()


def finisher(document: Any, pdf: Any) -> None:  # weasyprint's Document and pydyf's PDF (neither typed)
    """WeasyPrint's last step: the Factur-X XMP merged into the document's, /AF without repeats."""
    import pydyf

    if "AF" in pdf.catalog:
        pdf.catalog["AF"] = pydyf.Array(list(dict.fromkeys(pdf.catalog["AF"])))
    stream = pdf.objects[int(pdf.catalog["Metadata"].split()[0])]
    stream.stream = [merged_xmp(b"".join(part if isinstance(part, bytes) else str(part).encode()
                                         for part in stream.stream))]


def merged_xmp(packet: bytes) -> bytes:
    """The XMP packet with our Descriptions added to its one rdf:RDF."""
    from lxml import etree

    start, end = packet.index(b"<x:xmpmeta"), packet.index(b"</x:xmpmeta>") + len(b"</x:xmpmeta>")
    meta = etree.fromstring(packet[start:end])
    meta.append(etree.fromstring(xmp()))
    merged = etree.Element(etree.QName(RDF, "RDF"), nsmap={"rdf": RDF})
    for block in meta.findall(f"{{{RDF}}}RDF"):
        for description in block.findall(f"{{{RDF}}}Description"):
            known = {**block.nsmap, **description.nsmap}
            used = {etree.QName(name).namespace for e in description.iter() for name in (e.tag, *e.attrib)}
            nsmap = {prefix: uri for prefix, uri in known.items() if uri in used}
            copied = etree.SubElement(merged, description.tag, dict(description.attrib), nsmap=nsmap)
            copied.extend(copy.deepcopy(child) for child in description)
    etree.cleanup_namespaces(merged)
    body = etree.tostring(merged, encoding="utf-8")
    return packet[:start] + b'<x:xmpmeta xmlns:x="adobe:ns:meta/">' + body + b"</x:xmpmeta>" + packet[end:]
