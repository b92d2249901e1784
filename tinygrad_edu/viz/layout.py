"""How big a graph is drawn: the layout options ``draw_graph`` takes, as two presets.

A projector shows 1920×1080 pixels; text stays readable at 12 px or more, and
Graphviz writes 14 pt text, so a graph scaled to fit may be at most
1920·14/12 × 1080·14/12 = 2240 × 1260 pt (issue 16). ``PROJECTOR`` gets the
slide network there: top to bottom keeps the width of one layer, a transpose
folded into the matmul that uses it saves two ranks a layer, and dropping the
dtype line and closing the ranks saves height. ``FULL`` draws everything.
This module imports nothing, so the command line reads it without loading graphviz.
"""

RANKDIRS = ("TB", "LR", "BT", "RL")  # Graphviz's directions: top to bottom, left to right, and back

PROJECTOR = {"rankdir": "TB", "fold_transpose": True, "show_dtype": False, "ranksep": 0.25, "legend": True}
FULL = {"rankdir": "LR", "fold_transpose": False, "show_dtype": True, "ranksep": None, "legend": False}

PROJECTOR_POINTS = (2240, 1260)  # the largest picture, in pt, that a 1920×1080 projector shows at 12 px text
