"""The `assistant` command: ingest, ask, chat, formats, stats, ui, mcp, timeline, eval."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.types import Answer

__all__ = ["main"]


def _settings_overrides(args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if getattr(args, "store", None) is not None:  # "" is refused by Settings, not ignored
        out["store"] = args.store
    for name in ("answerer", "retrieval_mode", "top_k", "chroma_url"):
        v = getattr(args, name, None)
        if v is not None:
            out[name] = v
    return out


def _query(args: argparse.Namespace) -> Any:
    """The `Query` of the command's options (checked here, before the store opens, so errors
    name the options as typed: `--as-of`, `--since`, `--until`); its question is set per
    question asked."""
    from assistant.query import CLI_NAMES, Query

    return Query.build(
        "",
        names=CLI_NAMES,
        as_of=args.as_of,
        since=args.since,
        until=args.until,
        include_undated=args.include_undated,
    )


def _print_window(answer: Any, console: Any) -> None:
    if answer.time_window is not None:
        # The window quotes the question's words: text, never markup.
        console.print(f"({_shown(answer.time_window.describe())})", style="dim", highlight=False)


def _assistant(args: argparse.Namespace, *, asking: bool = False) -> Any:
    """The Assistant for a command. `asking`: the store must exist and hold articles (a
    missing one is not created, an empty one would only ever answer "don't say")."""
    from assistant.core import Assistant
    from assistant.errors import StoreError

    a = Assistant(create_store=not asking, **_settings_overrides(args))
    if asking and a.article_count() == 0:
        raise StoreError(
            f"the store at {a.location} holds no articles yet: index some first with "
            f"`assistant ingest FILES --store {a.settings.store}`"
        )
    return a


def _shown(value: object) -> str:
    """Article data (titles, outlets, URLs, file names, ids, quotes, answers) as rich markup
    that prints it literally: control characters and terminal escapes removed (an `ESC[2J`
    would clear the screen), `[...]` escaped (a `[/x]` raised MarkupError). Article data is
    never markup."""
    from rich.markup import escape

    from assistant.ingest.cleaning import strip_control

    return escape(strip_control(str(value)))


def _print_answer(answer: Any, console: Any) -> None:
    note = answer.confidence_note()
    if note:
        console.print(note, style="dim", highlight=False)
    if answer.citations:
        console.print("\n[bold]Sources[/bold]")
        for c in answer.citations:
            date = c.published.isoformat() if c.published else "date unknown"
            where = f"{c.source}, {date}" if c.source else date
            console.print(
                f"\\[{c.number}] [bold]{_shown(c.title)}[/bold] ({_shown(where)})"
                f" — {_shown(c.doc_id)}" + (f" {_shown(c.url)}" if c.url else ""),
                highlight=False,
            )
            console.print(
                f"    “{_shown(c.quote)}” (chars {c.start}-{c.end})", style="dim", highlight=False
            )


def cmd_ingest(args: argparse.Namespace) -> int:
    from rich.console import Console

    from assistant.errors import ConfigError

    console = Console(stderr=False)
    if not args.paths and not args.urls:
        raise ConfigError("nothing to ingest: give files or folders, or --urls FILE")
    columns = None
    if args.columns:
        from assistant.ingest.readers.tabular import parse_columns

        try:
            columns = parse_columns(args.columns)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
    a = _assistant(args)
    ray = None
    if args.ray is not None:  # "" is refused by ray_ingest_paths, not read as "no Ray"
        from assistant.scale.ray_ingest import RayOptions

        ray = RayOptions(
            args.ray,
            actors=args.ray_actors,
            actor_cpus=args.ray_actor_cpus,
            group_size=args.ray_batch,
        )
    reports = []
    if args.paths:
        reports.append(
            a.ingest(args.paths, prune=args.prune, progress=None, ray=ray, columns=columns)
        )
    if args.urls:
        from assistant.ingest.urls import read_url_list

        try:
            urls, bad_lines = read_url_list(args.urls)
        except OSError as exc:
            raise ConfigError(f"--urls {args.urls}: cannot read ({exc.strerror or exc})") from None
        report = a.ingest_urls(urls, progress=None)
        reports.append(report.model_copy(update={"failures": (*bad_lines, *report.failures)}))
    failures = [f for r in reports for f in r.failures]
    console.print(
        f"Indexed into {_shown(a.location)}: {sum(r.added for r in reports)} added, "
        f"{sum(r.updated for r in reports)} updated, {sum(r.unchanged for r in reports)} "
        f"unchanged, {sum(r.removed for r in reports)} removed, {len(failures)} failed "
        f"({sum(r.chunks_embedded for r in reports)} chunks embedded, "
        f"{sum(r.chunks_reused for r in reports)} reused, "
        f"{sum(r.seconds for r in reports):.1f}s)."
    )
    for f in failures:
        console.print(f"[red]failed[/red] {_shown(f.path)}: {_shown(f.reason)}", highlight=False)
    if args.list:
        for info in a.articles():
            date = info.published.isoformat() if info.published else "undated"
            console.print(
                f"  {_shown(info.doc_id)}  {date}  {_shown(info.source or '-')}  "
                f"{_shown(info.title[:70])}  ({info.n_chunks} chunks)  "
                f"from {_shown(info.where)}",
                highlight=False,
            )
    return 1 if failures else 0


def cmd_formats(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from assistant.ingest.readers import formats

    table = Table(title="Formats `assistant ingest` reads", show_lines=False)
    for column in ("Format", "Suffixes", "Library", "Becomes an article"):
        table.add_column(column, overflow="fold")
    for fmt in formats():
        table.add_row(fmt.name, " ".join(fmt.suffixes), fmt.library, fmt.produces)
    table.add_row(
        "URL list", "--urls FILE", "httpx", "each page, through the HTML path; the URL as its id"
    )
    Console().print(table)
    return 0


def _stream_answer(console: Any, stream: Any) -> Any:
    """Show the answer while it streams, then the final, verified one in its place.

    What streams is the model's raw reply: its markers are not checked yet (an invalid [9]
    is dropped only from the final text) and a cut stream may be followed by the offline
    fallback. So the streamed text is transient: on a terminal it is erased when the answer
    is complete (or fails), elsewhere it is never written, and only the final text stays.
    """
    from rich.live import Live
    from rich.text import Text

    from assistant.errors import AssistantError
    from assistant.ingest.cleaning import strip_control

    streamed: list[str] = []
    final = None
    live = Live(Text(""), console=console, transient=True, auto_refresh=False)
    try:
        with live:
            for item in stream:
                if isinstance(item, str):
                    streamed.append(item)
                    live.update(Text(strip_control("".join(streamed))), refresh=True)
                else:
                    final = item
    except AssistantError:
        if streamed:
            console.print("(answer interrupted; its partial text was discarded)", style="dim")
        raise
    assert final is not None
    console.print(Text(strip_control(final.text)))
    return final


def cmd_ask(args: argparse.Namespace) -> int:
    from rich.console import Console

    console = Console()
    query = _query(args).replace(question=args.question)
    a = _assistant(args, asking=True)
    if args.json:
        answer = a.ask(query)
        print(json.dumps(answer.to_json_dict(), ensure_ascii=False, indent=2))
        return 0
    final = _stream_answer(console, a.stream(query))
    _print_window(final, console)
    _print_answer(final, console)
    return 0


def _understood(answer: Answer) -> str:
    """How a follow-up was read, said before its answer (always, so a misreading shows)."""
    standalone = _shown(answer.standalone_question)
    if answer.follow_up == "read-together":
        return f"not sure what the follow-up refers to; searched as: {standalone}"
    if answer.follow_up == "as-asked":
        return f"read as asked: {standalone}"
    return f"understood as: {standalone}"


def cmd_chat(args: argparse.Namespace) -> int:
    from rich.console import Console

    from assistant.errors import LLMError

    console = Console()
    query = _query(args)
    a = _assistant(args, asking=True)
    # The answers themselves: the follow-up resolver reads their short answers, abstentions
    # and cited articles, not just their text.
    history: list[Answer] = []
    console.print("Ask about the indexed articles. Empty line or Ctrl-D to quit.")
    while True:
        try:
            q = input("\n> ").strip()
        except EOFError:
            break
        if not q:
            break
        try:
            answer = a.ask(query.replace(question=q, history=history))
        except LLMError as exc:
            # One failed answer need not end the conversation: the server may recover.
            console.print(f"error: {_shown(exc)}", style="red", highlight=False)
            continue
        if history:
            console.print(f"({_understood(answer)})", style="dim", highlight=False)
        console.print(_shown(answer.text), highlight=False)
        _print_window(answer, console)
        _print_answer(answer, console)
        history.append(answer)
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    from assistant.core import Assistant

    a = Assistant(create_store=False, **_settings_overrides(args))
    from assistant.ingest.cleaning import strip_control

    for k, v in a.stats().items():
        print(f"{k}: {strip_control(str(v))}")
    return 0


def cmd_ui(args: argparse.Namespace) -> int:
    from assistant.errors import ConfigError
    from assistant.ui import launch

    if args.allow_ingest and not args.mcp:
        raise ConfigError("--allow-ingest is an option of the MCP tools: add --mcp")

    # An operator watching the server wants its address and one line per request with its
    # outcome, without -v turning on every other module's info logging.
    if not args.verbose:
        logging.getLogger("assistant.ui").setLevel(logging.INFO)
        logging.getLogger("assistant.mcp_server").setLevel(logging.INFO)
    if args.chroma_url:  # the UI reads its settings from the environment
        os.environ["ASSISTANT_CHROMA_URL"] = args.chroma_url
    try:
        launch(
            store=args.store,
            host=args.host,
            port=args.port,
            share=args.share,
            auth=args.auth,
            mcp=args.mcp,
            allow_ingest=args.allow_ingest or (),
            mcp_max_chars=args.max_chars,
        )
    except ValueError as exc:  # malformed --auth / ASSISTANT_UI_AUTH
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def cmd_mcp(args: argparse.Namespace) -> int:
    from assistant.mcp_server.stdio import serve_stdio

    overrides = _settings_overrides(args)
    store = overrides.pop("store", None)
    serve_stdio(store, allow_ingest=args.allow_ingest or (), max_chars=args.max_chars, **overrides)
    return 0


# What `assistant mcp --help` lists (tests check it against the server's own tool list).
MCP_TOOLS = """tools:
  search         ranked passages (verbatim quotes, doc ids, dates, offsets) for a query
  ask            an answer: short answer, abstained, confidence, cited verbatim quotes
  list_articles  the indexed articles, newest first, by source and dates
  get_article    an article's text, or the slice [start:end] around a quote
  timeline       a story's events oldest first, dated and cited with verbatim quotes
  ingest         index files under the --allow-ingest folders (only with that option)

Client configuration and a worked call: docs/mcp.md"""


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not at least 1")
    return value


def _mcp_options(sp: argparse.ArgumentParser) -> None:
    sp.add_argument(
        "--allow-ingest",
        dest="allow_ingest",
        nargs="+",
        metavar="DIR",
        help="add the ingest tool, for files under these folders only (default: read-only)",
    )
    sp.add_argument(
        "--max-chars",
        dest="max_chars",
        type=_positive,
        default=20_000,
        metavar="N",
        help="the most characters of article text in one tool result (default 20000); "
        "longer results are cut and flagged truncated",
    )


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="assistant",
        description="Question answering over news articles, with cited sources. Offline by "
        "default; set OPENAI_API_KEY or OPENAI_BASE_URL to answer with an LLM.",
    )
    p.add_argument("-v", "--verbose", action="count", default=0, help="more logging")
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--store", help="store folder (default: vectorstore, or ASSISTANT_STORE)")
        sp.add_argument(
            "--chroma-url",
            dest="chroma_url",
            help="http://host:port of a `chroma run` server to use instead of the store folder "
            "(or ASSISTANT_CHROMA_URL)",
        )

    sp = sub.add_parser("ingest", help="index files or folders of articles")
    sp.add_argument(
        "paths",
        nargs="*",
        help="files or folders: text, Markdown, HTML, JSONL, PDF, Word, RTF, RSS/Atom, WARC, "
        "CSV/TSV, e-mail (see `assistant formats`)",
    )
    sp.add_argument(
        "--urls",
        metavar="FILE",
        help="fetch and index the pages listed in FILE (one URL a line; robots.txt honoured)",
    )
    sp.add_argument(
        "--columns",
        metavar="MAP",
        help="CSV/TSV columns of the article fields, e.g. text=Body,title=Headline,"
        "published=Date (default: found by common names)",
    )
    sp.add_argument(
        "--prune",
        action="store_true",
        help="remove indexed articles whose files left these folders",
    )
    sp.add_argument("--list", action="store_true", help="list the indexed articles afterwards")
    sp.add_argument(
        "--ray",
        metavar="ADDRESS",
        help="ingest on a Ray cluster (its head's host:port, or auto for this machine alone) "
        "into the Chroma server of --chroma-url; needs news-assistant[scale]",
    )
    sp.add_argument(
        "--ray-actors",
        dest="ray_actors",
        type=int,
        metavar="N",
        help="embedding actors (default: one per --ray-actor-cpus of the cluster)",
    )
    sp.add_argument(
        "--ray-actor-cpus",
        dest="ray_actor_cpus",
        type=float,
        default=1.0,
        metavar="C",
        help="CPUs each embedding actor reserves and runs torch on (default 1)",
    )
    sp.add_argument(
        "--ray-batch",
        dest="ray_batch",
        type=int,
        default=64,
        metavar="N",
        help="articles an actor embeds and commits at a time (default 64)",
    )
    common(sp)
    sp.set_defaults(func=cmd_ingest)

    for name, helptext, func in (
        ("ask", "answer one question", cmd_ask),
        ("chat", "ask questions with follow-ups", cmd_chat),
    ):
        sp = sub.add_parser(name, help=helptext)
        if name == "ask":
            sp.add_argument("question")
            sp.add_argument("--json", action="store_true", help="print the answer as JSON")
        sp.add_argument(
            "--as-of",
            dest="as_of",
            help="the assistant's today (YYYY-MM-DD): only articles published by then, and "
            '"this week" is the week before it',
        )
        sp.add_argument(
            "--since",
            help="only articles published on or after YYYY-MM-DD",
        )
        sp.add_argument(
            "--until",
            help="only articles published on or before YYYY-MM-DD",
        )
        sp.add_argument(
            "--include-undated",
            dest="include_undated",
            action="store_true",
            help="with --as-of/--since/--until, search articles without a date too",
        )
        sp.add_argument("--answerer", choices=["auto", "extractive", "llm"])
        sp.add_argument(
            "--retrieval-mode", dest="retrieval_mode", choices=["hybrid", "dense", "bm25"]
        )
        sp.add_argument("--top-k", dest="top_k", type=int, help="articles to draw on")
        common(sp)
        sp.set_defaults(func=func)

    sp = sub.add_parser("formats", help="the file formats ingest reads, and their libraries")
    sp.set_defaults(func=cmd_formats)

    sp = sub.add_parser("stats", help="documents, chunks, embedder and store location")
    common(sp)
    sp.set_defaults(func=cmd_stats)

    sp = sub.add_parser("ui", help="web UI: chat with cited sources, article library, /ask API")
    sp.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    sp.add_argument("--port", type=int, default=7860)
    sp.add_argument("--share", action="store_true", help="public Gradio share link (use --auth)")
    sp.add_argument("--auth", help="USER:PASS login (or ASSISTANT_UI_AUTH)")
    sp.add_argument(
        "--mcp",
        action="store_true",
        help="serve the MCP tools (as `assistant mcp`) at /mcp too, behind --auth when set",
    )
    _mcp_options(sp)
    common(sp)
    sp.set_defaults(func=cmd_ui)

    sp = sub.add_parser(
        "mcp",
        help="MCP server over stdio: search, ask and the article library for agents",
        description="Serve the store's articles to an MCP client (a desktop agent, an IDE)\n"
        "over stdin/stdout. Read-only unless --allow-ingest is given. Every passage and\n"
        "article text in a result is quoted source text, returned as data.",
        epilog=MCP_TOOLS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _mcp_options(sp)
    sp.add_argument("--answerer", choices=["auto", "extractive", "llm"])
    common(sp)
    sp.set_defaults(func=cmd_mcp)

    from assistant.evals.cli import add_eval_parser
    from assistant.timeline.cli import add_timeline_parser

    add_timeline_parser(sub)
    add_eval_parser(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=[logging.WARNING, logging.INFO, logging.DEBUG][min(args.verbose, 2)],
        format="%(levelname)s %(name)s: %(message)s",
    )
    from assistant.errors import AssistantError

    try:
        return int(args.func(args))
    except BrokenPipeError:
        # The reader left (`assistant stats | head -2`): not an error of ours. Point stdout
        # at /dev/null so Python's flush at exit does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # as a shell reports a process ended by SIGPIPE
    except AssistantError as exc:
        from assistant.ingest.cleaning import strip_control

        # Messages name files and values from the user's data: no terminal escapes.
        print(f"error: {strip_control(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
