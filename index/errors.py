"""Named errors. The CLI turns each into one line on stderr and exit code 2."""


class NewsQAError(Exception):
    """Base of every error newsqa reports to a person instead of a traceback."""


class SettingsError(NewsQAError):
    """A NEWSQA_* setting has a value newsqa cannot use."""


class CorpusError(NewsQAError):
    """The corpus folder is missing, unreadable or holds no usable article."""


class StoreError(NewsQAError):
    """The vector store cannot be opened, written, or was written by another version."""


class QuestionError(NewsQAError):
    """The question is empty or too long."""


class BackendError(NewsQAError):
    """A server newsqa talks to (hosted LLM, Chroma server) failed or timed out."""
