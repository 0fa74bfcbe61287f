"""newsqa's Python API: `ask(question)` returns an `Answer` whose `citations` quote the
articles verbatim.

>>> from qa import ask                       # doctest: +SKIP
>>> ask("Who said Moscow does not want an eternal war?").text   # doctest: +SKIP
'Dmitry Peskov [1][2][3]'
"""

from qa.answer import ask
from qa.types import Answer, Citation

__all__ = ["Answer", "Citation", "ask"]
