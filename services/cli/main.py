"""`perche`'s commands and options, each handed to the module that runs it."""

import argparse
import asyncio
import getpass
import io
import logging
import os
import sys
from pathlib import Path

from nats.errors import NoServersError

from services.cli.admin import create_organisation, create_organiser, load_events
from services.cli.hosting import BACKEND, DEFAULT_NATS_PORT, running_nats_url, service, up
from services.kit.client import ServiceError
from services.kit.lifecycle import run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="perche", description="Perche: hackathons and outreach events on NATS.")
    sub = parser.add_subparsers(dest="command", required=True)
    env_url = os.environ.get("PERCHE_NATS_URL")

    p = sub.add_parser("up", help="run NATS (embedded unless --nats-url), every service and the web app")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--data-dir", default=os.environ.get("PERCHE_DATA_DIR", "var"))
    p.add_argument("--nats-url", default=env_url, help="use this NATS server or cluster; start none")
    p.add_argument(
        "--nats-port",
        type=int,
        default=None,
        help=f"port of the embedded NATS (default: {DEFAULT_NATS_PORT}, or a free one if taken)",
    )
    p.add_argument("--no-demo", action="store_true", help="do not load the events in events/")

    p = sub.add_parser("service", help="run one service alone (production: one process per service)")
    p.add_argument("name", choices=[*BACKEND, "web"])
    p.add_argument("--nats-url", default=env_url)
    p.add_argument("--host", default="127.0.0.1", help="web only")
    p.add_argument("--port", type=int, default=8000, help="web only")

    p = sub.add_parser("load", help="load or update events from TOML files")
    p.add_argument("files", nargs="+", type=Path)
    p.add_argument(
        "--organisation", default=None, help="the organisation new events belong to (default: the default one)"
    )
    p.add_argument("--nats-url", default=None, help="default: PERCHE_NATS_URL, else the one `perche up` runs")

    p = sub.add_parser("organiser", help="manage organiser accounts")
    org = p.add_subparsers(dest="action", required=True)
    c = org.add_parser("create", help="create an organiser (or reset their password with --replace)")
    c.add_argument("email")
    c.add_argument("--password")
    c.add_argument("--replace", action="store_true")
    c.add_argument("--nats-url", default=None, help="default: PERCHE_NATS_URL, else the one `perche up` runs")

    p = sub.add_parser("organisation", help="manage organisations (a school, a community of communes)")
    org = p.add_subparsers(dest="action", required=True)
    c = org.add_parser("create", help="create an organisation (or rename it) and name its first owner")
    c.add_argument("slug")
    c.add_argument("name")
    c.add_argument("--name-en", default="")
    c.add_argument("--owner", required=True, help="the owner's email (an account may come later)")
    c.add_argument("--nats-url", default=None, help="default: PERCHE_NATS_URL, else the one `perche up` runs")

    p = sub.add_parser("dead-letters", help="list what services set aside because they could not read or handle it")
    p.add_argument("--service", default=None, help="only those this service set aside")
    p.add_argument("--json", action="store_true", help="a JSON list, with each original payload in base64")
    p.add_argument("--nats-url", default=None, help="default: PERCHE_NATS_URL, else the one `perche up` runs")

    p = sub.add_parser("demo-day", help="to try Perche: participants, teams and a jury on a running instance")
    p.add_argument("--event", default="hackathon-comice-2027")
    p.add_argument("--nats-url", default=None, help="default: PERCHE_NATS_URL, else the one `perche up` runs")

    p = sub.add_parser("teams", help="form balanced teams from a participants' CSV file")
    teams = p.add_subparsers(dest="action", required=True)
    c = teams.add_parser("form", help="teams for everyone in the file: JSON on stdout, a summary on stderr")
    c.add_argument(
        "file", type=Path, help="header: name,email,skills,codes,experience,challenges,together_with,not_with"
    )
    c.add_argument("--min", dest="min_size", type=int, required=True)
    c.add_argument("--max", dest="max_size", type=int, required=True)
    c.add_argument("--seed", type=int, default=0, help="the same file and seed give the same teams")
    c.add_argument("--lang", choices=["fr", "en"], default="fr", help="language of the summary on stderr")
    c.add_argument("--domain-skill", action="append", default=None, help="a skill that makes a domain expert")

    p = sub.add_parser("bench", help="measure throughput against a baseline in the same run")
    p.add_argument("what", choices=["registration", "ical", "teams", "judging", "live"])
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument(
        "--solver-seconds", type=float, default=20.0, help="teams only: the exact solver's limit per instance"
    )
    p.add_argument("--runs", type=int, default=30, help="judging only: simulated hackathons per scenario")

    p = sub.add_parser("judging", help="the jury's standings")
    jud = p.add_subparsers(dest="action", required=True)
    c = jud.add_parser("rank", help="rank teams from a CSV of scores (juror,team,criterion,score), as JSON")
    c.add_argument("scores", type=Path)
    c.add_argument("--weights", default=None, help="e.g. impact=3,feasibility=2,pitch=1 (default: 1 each)")
    c.add_argument("--max", default=None, help="e.g. pitch=5 (default: every criterion out of 10)")

    args = parser.parse_args(argv)
    if args.command in ("load", "organiser", "organisation", "demo-day", "dead-letters") and args.nats_url is None:
        args.nats_url = env_url or running_nats_url()
    if isinstance(sys.stdout, io.TextIOWrapper):
        # Lines such as the first organiser's password reach a log file or journal at once.
        sys.stdout.reconfigure(line_buffering=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("nats").setLevel(logging.WARNING)
    try:
        if args.command == "up":
            run(up(args))
        elif args.command == "service":
            run(service(args))
        elif args.command == "load":
            return 1 if asyncio.run(load_events(args.nats_url, args.files, args.organisation)) else 0
        elif args.command == "organiser":
            password = args.password or getpass.getpass("Password: ")
            who = asyncio.run(create_organiser(args.nats_url, args.email, password, args.replace))
            print(f"organiser {who.email} ready")
        elif args.command == "organisation":
            made = asyncio.run(create_organisation(args.nats_url, args.slug, args.name, args.name_en, args.owner))
            print(f"organisation {made.slug} ({made.name}) ready, owned by {args.owner}")
        elif args.command == "dead-letters":
            from services.cli.dead_letters import run_dead_letters

            return asyncio.run(run_dead_letters(args.nats_url, args.service, args.json))
        elif args.command == "demo-day":
            from services.cli.demo_day import demo_day

            print(asyncio.run(demo_day(args.nats_url, args.event)))
        elif args.command == "teams":
            from services.cli.teams import DOMAIN_SKILLS, run_teams_form

            skills = tuple(args.domain_skill) if args.domain_skill else DOMAIN_SKILLS
            return run_teams_form(args.file, args.min_size, args.max_size, args.seed, args.lang, skills)
        elif args.command == "bench" and args.what == "teams":
            from services.bench.teams import run_bench_teams

            return run_bench_teams(args.solver_seconds)
        elif args.command == "judging":
            from services.cli.judging_rank import run_rank

            return run_rank(args.scores, args.weights, args.max)
        elif args.command == "bench" and args.what == "judging":
            from services.bench.judging import run_bench_judging

            return run_bench_judging(args.runs)
        elif args.command == "bench" and args.what == "live":
            from services.bench.live import run_bench_live

            return run_bench_live()
        elif args.command == "bench" and args.what == "ical":
            from services.bench.ical import run_bench_ical

            return run_bench_ical(args.seconds)
        elif args.command == "bench":
            from services.bench.registration import run_bench

            return run_bench(args.what, args.seconds)
    except ServiceError as error:
        print(f"error: {error.reply.message}", file=sys.stderr)
        return 1
    except NoServersError:
        print(f"error: no NATS server answers at {args.nats_url} (is `perche up` running?)", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0
