"""What makes an invoice PDF a Factur-X (ZUGFeRD 2) e-invoice: the CII XML embedded as
factur-x.xml (relationship Alternative) in a PDF/A-3b, and the Factur-X XMP properties that
tell a reader it is there. WeasyPrint writes the PDF/A-3b; this module gives it the parts.
"""

from __future__ import annotations

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
