"""One `Settings` object for the whole assistant, read from `ASSISTANT_*` environment variables.

`OPENAI_API_KEY` and `OPENAI_BASE_URL` are read under their usual names too, because that is
what users of the OpenAI SDK (and of Ollama, vLLM or llama.cpp servers) already export.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings"]

# The prompt files ship inside the package (pyproject maps prompts/ to this package), so an
# installed wheel finds them as a source checkout does.
DEFAULT_PROMPTS_DIR = Path(str(files("assistant.prompt_files")))


class Settings(BaseSettings):
    """Every knob of the assistant. Environment: `ASSISTANT_<FIELD>` (e.g. `ASSISTANT_STORE`)."""

    model_config = SettingsConfigDict(
        env_prefix="ASSISTANT_", extra="forbid", frozen=True, populate_by_name=True
    )

    # --- store ---
    store: Path = Field(default=Path("vectorstore"), description="Embedded Chroma directory.")
    chroma_url: str | None = Field(
        default=None, description="http://host:port of a `chroma run` server instead of a folder."
    )
    collection: str = "news"

    # --- embeddings ---
    embedder: Literal["minilm", "openai"] = "minilm"
    embed_precision: Literal["auto", "fp32", "bf16"] = Field(
        default="auto", description="auto: bf16 where the CPU has native bf16, else fp32."
    )
    embed_batch_size: int | None = Field(
        default=None,
        ge=1,
        le=512,
        description="Texts per batch when ingesting (sentence-transformers); default 8 on the "
        "fp32 path, 16 on bf16, the fastest measured on 2 cores (see README).",
    )
    embed_runtime: Literal["auto", "torch", "onnx"] = Field(
        default="auto",
        description="auto: onnxruntime for questions and answers (fast start), "
        "sentence-transformers for ingest batches.",
    )
    cache_dir: Path | None = Field(
        default=None,
        description="Where the ONNX export of the embedding model is kept "
        "(default: $XDG_CACHE_HOME/news-assistant).",
    )
    openai_embedding_model: str = "text-embedding-3-small"

    # --- chunking (MiniLM word pieces; the model reads at most 256) ---
    chunk_size: int = Field(default=192, ge=32, le=254)
    chunk_overlap: int = Field(default=32, ge=0)

    # --- retrieval ---
    retrieval_mode: Literal["hybrid", "dense", "bm25"] = "hybrid"
    top_k: int = Field(default=5, ge=1, le=50, description="Articles passed to the answerer.")
    candidate_k: int = Field(default=30, ge=1, le=500, description="Chunks per retriever.")

    # --- answering ---
    answerer: Literal["auto", "extractive", "llm"] = Field(
        default="auto", description="auto: the LLM when a key or base URL is set, else extractive."
    )
    abstain_threshold: float = Field(default=0.42, description="Min evidence score to answer.")
    llm_model: str = "gpt-4o-mini"
    llm_temperature: float = 0.0
    llm_timeout: float = Field(default=60.0, gt=0)
    llm_max_retries: int = Field(default=3, ge=0)
    llm_fallback: bool = Field(
        default=False,
        description="When the LLM fails (after retries), answer with the offline extractive "
        "answerer instead of raising LLMError; the answer says so.",
    )
    openai_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("ASSISTANT_OPENAI_API_KEY", "OPENAI_API_KEY")
    )
    openai_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("ASSISTANT_OPENAI_BASE_URL", "OPENAI_BASE_URL")
    )

    # --- input limits ---
    max_file_mb: float = Field(default=20.0, gt=0)

    prompts_dir: Path = DEFAULT_PROMPTS_DIR

    @property
    def llm_configured(self) -> bool:
        return self.openai_api_key is not None or bool(self.openai_base_url)

    @property
    def use_llm(self) -> bool:
        if self.answerer == "llm":
            return True
        return self.answerer == "auto" and self.llm_configured
