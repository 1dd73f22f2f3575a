"""The hybrid search as a LangChain ``BaseRetriever``: documents carry the passage metadata and exact offsets."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import Field

from .retrieve import Filters, search


class HybridRetriever(BaseRetriever):
    """The hybrid search as a LangChain retriever; documents carry the passage metadata."""

    index: Any = Field(description="The loaded assistant.index.Index.")
    settings: Any = Field(description="assistant.config.RetrievalSettings.")
    k: int | None = None
    filters: Filters | None = None

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        results = search(self.index, query, self.settings, k=self.k, filters=self.filters)
        return [
            Document(
                id=r.passage.id,
                page_content=r.passage.text,
                metadata={**r.to_retrieved().model_dump(), "start": r.passage.start, "end": r.passage.end},
            )
            for r in results
        ]
