"""What an SVG logo may hold. The portal serves the logo from its own origin, and an SVG opened on its own is a
document: a script, an event handler, embedded HTML or a link out of the file would run or lead there with the
portal's cookies. A logo is shapes, gradients and text, so anything that acts or fetches is refused, whichever way it
is written; the file is parsed as XML without a DOCTYPE or entities (no entity tricks, no billion laughs)."""

from __future__ import annotations

import re
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

_SVG_ROOT = '{http://www.w3.org/2000/svg}svg'
_XHTML = '{http://www.w3.org/1999/xhtml}'
_MATHML = '{http://www.w3.org/1998/Math/MathML}'
_XML_BASE = '{http://www.w3.org/XML/1998/namespace}base'
#: elements that run, embed or handle (SVG Tiny's `handler`, XML Events' `listener`), in any namespace
_ACTIVE = {'script', 'foreignobject', 'iframe', 'embed', 'object', 'handler', 'listener'}
#: a link may point into the file or hold a raster picture; nothing else (no http:, javascript:, data:text/html)
_LOCAL_LINK = re.compile(r'\s*(#|data:image/(png|jpeg|gif|webp);base64,)', re.IGNORECASE)
#: url(…) that does not point into the file, and @import: CSS fetching from elsewhere
_EXTERNAL_CSS = re.compile(r'url\((?!\s*[\'"]?\s*#)|@import', re.IGNORECASE)
#: animation elements set other attributes: <set attributeName="href" to="javascript:…"> is a link out too
#: (under any prefix: whichever one the file binds to the XLink namespace)
_ANIMATED_LINK = re.compile(r'\s*([\w.-]+:)?(href|on\w*)\s*', re.IGNORECASE)


class _Builder(TreeBuilder):
    """The tree, and the processing instructions wherever they are (TreeBuilder keeps only those inside the root,
    and <?xml-stylesheet?> goes before it: an XSLT that turns the file into a page with scripts)."""

    def __init__(self) -> None:
        super().__init__()
        self.instructions: list[str] = []

    def pi(self, target: str, text: str | None = None) -> Element:
        self.instructions.append(f'<?{target} {text or ""}'.strip() + '?>')
        return super().pi(target, text)


def svg_refusal(content: bytes) -> str | None:
    """Why this SVG may not be the portal's logo, in the operator's words (None: it may)."""
    builder = _Builder()
    parser = DefusedXMLParser(target=builder, forbid_dtd=True)
    try:
        parser.feed(content)
        root = parser.close()
    except DefusedXmlException:
        return 'has a DOCTYPE or entities (a logo needs neither)'
    except ParseError as error:
        return f'is not well-formed XML ({error})'
    if builder.instructions:
        return f'has a processing instruction ({builder.instructions[0][:60]})'
    if root.tag != _SVG_ROOT:
        return f'is not an SVG document (its root is <{root.tag}>, not <svg xmlns="http://www.w3.org/2000/svg">)'
    for element in root.iter():
        refusal = _element_refusal(element)
        if refusal:
            return refusal
    return None


def _local(name: str) -> str:
    return name.rsplit('}', 1)[-1]


def _element_refusal(element: Element) -> str | None:
    if not isinstance(element.tag, str):  # a comment
        return None
    tag = _local(element.tag)
    if tag.lower() in _ACTIVE:
        return f'contains a <{tag}>'
    if element.tag.startswith((_XHTML, _MATHML)):
        return f'contains HTML or MathML (<{tag}>)'
    if tag == 'style' and _EXTERNAL_CSS.search(element.text or ''):
        return 'has a <style> that loads from outside the file (url(…) or @import)'
    for name, value in element.attrib.items():
        refusal = _attribute_refusal(tag, name, value)
        if refusal:
            return refusal
    return None


def _attribute_refusal(tag: str, name: str, value: str) -> str | None:
    attribute = _local(name)
    if attribute.lower().startswith('on'):
        return f'has an event handler ({attribute} on <{tag}>)'
    if attribute == 'href' and not _LOCAL_LINK.match(value):
        return f'links outside the file (href="{value[:60]}" on <{tag}>)'
    if name == _XML_BASE:
        return f'sets xml:base on <{tag}>'
    if attribute == 'attributeName' and _ANIMATED_LINK.fullmatch(value):
        return f'animates {value} on <{tag}>'
    if _EXTERNAL_CSS.search(value):
        return f'loads from outside the file ({attribute}="{value[:60]}" on <{tag}>)'
    return None
