"""Read the backward page with html.parser, so tests check its structure rather than substrings."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from html.parser import HTMLParser

# Attributes that make a browser fetch something.
FETCHING_ATTRIBUTES = {"src", "href", "xlink:href", "srcset", "data", "poster", "action"}
VOID_ELEMENTS = {"meta", "link", "br", "hr", "img", "input", "source", "base"}  # HTML tags with no end tag


@dataclass
class Page:
    scripts: list = field(default_factory=list)  # (attributes, text)
    styles: list = field(default_factory=list)  # the text of each <style>
    fetches: list = field(default_factory=list)  # (tag, attribute, value) that would load something
    nodes: dict = field(default_factory=dict)  # SVG node id -> {"class": str, "texts": [(class, text)]}
    buttons: dict = field(default_factory=dict)  # id -> label

    def walks(self) -> dict:
        (text,) = [text for attributes, text in self.scripts if attributes.get("id") == "walks"]
        return json.loads(text)

    def field_text(self, node_id: str, field_class: str) -> str:
        return "\n".join(text for kind, text in self.nodes[node_id]["texts"] if kind == field_class)


class PageParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.page, self.open_tags, self.groups = Page(), [], []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag not in VOID_ELEMENTS:
            self.open_tags.append((tag, attributes, []))
        self.page.fetches += [(tag, name, value) for name, value in attrs if name in FETCHING_ATTRIBUTES]
        if tag == "link":
            self.page.fetches.append((tag, "rel", attributes.get("rel")))
        if tag == "g":
            self.groups.append(attributes)
            if "node" in attributes.get("class", "").split():
                self.page.nodes[attributes["id"]] = {"class": attributes["class"], "texts": []}

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID_ELEMENTS:
            self.handle_endtag(tag)

    def handle_data(self, data):
        if self.open_tags:
            self.open_tags[-1][2].append(data)

    def handle_endtag(self, tag):
        name, attributes, pieces = self.open_tags.pop()
        assert name == tag, f"<{name}> closed by </{tag}>"
        text = "".join(pieces)
        if tag == "script":
            self.page.scripts.append((attributes, text))
        elif tag == "style":
            self.page.styles.append(text)
        elif tag == "button":
            self.page.buttons[attributes["id"]] = text
        elif tag == "text":
            node = [g for g in self.groups if "node" in g.get("class", "").split()][-1]
            self.page.nodes[node["id"]]["texts"].append((attributes.get("class"), text))
        elif tag == "g":
            self.groups.pop()


def parse_page(html: str) -> Page:
    parser = PageParser()
    parser.feed(html)
    parser.close()
    assert not parser.open_tags, f"unclosed tags: {[tag for tag, _, _ in parser.open_tags]}"
    return parser.page
