"""One `Settings` object for the whole assistant, read from `ASSISTANT_*` environment variables.

`OPENAI_API_KEY` and `OPENAI_BASE_URL` are read under their usual names too, because that is
what users of the OpenAI SDK (and of Ollama, vLLM or llama.cpp servers) already export.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from assistant.errors import ConfigError

__all__ = ["Settings", "load_settings"]

# The prompt files are package data (assistant/prompt_files/), so an installed wheel finds them
# as a source checkout does.
DEFAULT_PROMPTS_DIR = Path(str(files("assistant.prompt_files")))
ENV_PREFIX = "ASSISTANT_"
# `ASSISTANT_*` variables that are not settings but are read by one command.
OTHER_VARIABLES = {"ASSISTANT_UI_AUTH": "the web UI's USER:PASS login"}


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
        "fp32 path, 16 on bf16 (docs/retrieval-and-time.md).",
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
    abstain_threshold: float = Field(
        default=0.42,
        description="Min evidence score to answer, where the rules decide (why-questions, "
        "choices, two-part questions, or answer_model=rules).",
    )
    answer_model: str = Field(
        default="packaged",
        description="The offline answer model: `packaged` (fitted on rtqa-weeks 2023), "
        "`rules` (the hand-set rules alone, for comparison), or the path of a model file "
        "written by evals/fit_answer_model.py.",
    )
    llm_model: str = "gpt-4o-mini"
    llm_temperature: float = 0.0
    llm_timeout: float = Field(
        default=60.0, gt=0, description="Seconds one request may wait for the server."
    )
    llm_max_retries: int = Field(default=3, ge=0)
    llm_deadline: float = Field(
        default=60.0,
        gt=0,
        description="Seconds one answer may take in all, retries included: a stalled server "
        "fails in about this time instead of timeout x (retries + 1).",
    )
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
    max_question_chars: int = Field(
        default=2000,
        ge=1,
        le=100_000,
        description="Longest question accepted, in characters; a longer one is refused "
        "before it is parsed (a question is a sentence or two, not an article).",
    )

    ui_fetch_urls: bool = Field(
        default=False,
        description="Let the web UI fetch pages by URL (off: a server that fetches any URL "
        "is a risk); loopback and private addresses are refused even when on.",
    )

    prompts_dir: Path = DEFAULT_PROMPTS_DIR

    @field_validator("store", mode="before")
    @classmethod
    def _store_not_empty(cls, v: Any) -> Any:
        # Path("") is ".", so an empty value would silently mean the current folder.
        if isinstance(v, str) and not v.strip():
            raise ValueError("the store folder is empty; give a folder path")
        return v

    @field_validator("chroma_url")
    @classmethod
    def _chroma_url_is_a_url(cls, v: str | None) -> str | None:
        if not v:  # unset (or empty): the embedded store
            return v
        try:
            url = urlsplit(v)
            port = url.port  # a port out of range raises here, not when connecting
        except ValueError as exc:
            raise ValueError(f"not a URL like http://127.0.0.1:8000 ({exc})") from None
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError("not a URL like http://127.0.0.1:8000")
        if port == 0:
            raise ValueError("port 0 is no server's port; give one from 1 to 65535")
        return v

    @property
    def llm_configured(self) -> bool:
        return self.openai_api_key is not None or bool(self.openai_base_url)


def _env_name(field: str) -> str:
    return f"{ENV_PREFIX}{field.upper()}"


def _unknown_variables(environ: Mapping[str, str]) -> list[str]:
    known = {_env_name(f) for f in Settings.model_fields} | set(OTHER_VARIABLES)
    for info in Settings.model_fields.values():
        alias = info.validation_alias
        if isinstance(alias, AliasChoices):
            known |= {str(c).upper() for c in alias.choices}
    return sorted(k for k in environ if k.upper().startswith(ENV_PREFIX) and k.upper() not in known)


def _describe(exc: ValidationError, overrides: Mapping[str, Any]) -> str:
    """One line per bad value: which setting, what value, what is allowed."""
    lines = []
    for err in exc.errors(include_url=False):
        field = str(err["loc"][0]) if err["loc"] else "?"
        if field in overrides:
            where = f" (--{field.replace('_', '-')})"
        else:
            where = f" (from {_env_name(field)})"
        shown = "(secret)" if "key" in field else repr(err.get("input"))
        if err["type"] == "extra_forbidden":
            lines.append(f"unknown setting {field!r}")
            continue
        msg = str(err["msg"]).removeprefix("Value error, ")
        lines.append(f"setting {field}{where} = {shown}: {msg[:1].lower()}{msg[1:]}")
    return "; ".join(lines)


def load_settings(base: Settings | None = None, **overrides: Any) -> Settings:
    """`Settings` from the environment (or `base`) with `overrides`, validated.

    Raises `ConfigError` naming each bad setting, its value and what is allowed, and each
    `ASSISTANT_*` variable that is no setting (a typo would otherwise be silently ignored:
    pydantic-settings reads only the variables it knows)."""
    try:
        if base is None:
            unknown = _unknown_variables(os.environ)
            if unknown:
                allowed = ", ".join(sorted(_env_name(f) for f in Settings.model_fields))
                raise ConfigError(
                    f"unknown setting{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} in "
                    f"the environment; the settings are {allowed} (and "
                    f"{', '.join(OTHER_VARIABLES)})"
                )
            # Overrides go in as init arguments, which beat the environment: a variable they
            # override is not read, so a bad one is not blamed on the option that replaced
            # it, and each error names where its value came from.
            return Settings(**overrides)
        # Validated again as a whole (model_copy would not validate the overrides).
        return Settings.model_validate({**base.model_dump(), **overrides}) if overrides else base
    except ValidationError as exc:
        raise ConfigError(_describe(exc, overrides)) from None
