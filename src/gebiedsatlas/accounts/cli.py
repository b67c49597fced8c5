"""``gebiedsatlas gebruikers …``: the first administrator and account chores from the server's
command line. Whoever runs these has the database itself; the log records them as the operator."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from gebiedsatlas.config import Settings

app = typer.Typer(help="Gebruikers, organisaties en rollen (de eerste beheerder, inloglinks, leden).",
                  no_args_is_help=True)
console = Console()


def _operator():
    from gebiedsatlas.accounts.audit import Actor

    return Actor(f"opdrachtregel ({getpass.getuser()})", "systeembeheer")


@contextmanager
def _store() -> Iterator:
    from gebiedsatlas.agreements.parties import seed_signatories
    from gebiedsatlas.store import db

    settings = Settings.from_env()
    db.upgrade(settings.database_url)
    with db.session_scope(settings.database_url) as session:
        seed_signatories(session, settings.data_dir)  # the organisations exist before anyone joins one
        yield session


def _link(secret: str) -> str:
    return f"/wachtwoord-instellen?code={secret}"


@app.command("beheerder")
def create_admin(
    email: Annotated[str, typer.Argument(help="e-mailadres van de beheerder")],
    naam: Annotated[str, typer.Option(help="naam van de persoon")] = "",
    wachtwoord_stdin: Annotated[bool, typer.Option("--wachtwoord-stdin",
                                                   help="lees het wachtwoord van standaardinvoer")] = False,
) -> None:
    """Maak een systeembeheerder (of maak een bestaand account beheerder). Zonder --wachtwoord-stdin
    krijgt u een eenmalige link om een wachtwoord te kiezen."""
    from gebiedsatlas.accounts import services as accounts

    password = sys.stdin.readline().rstrip("\n") if wachtwoord_stdin else None
    try:
        with _store() as session:
            user, secret = _make_admin(session, email, naam, password)
    except accounts.AccountError as exc:
        console.print(f"[red]Niet gelukt:[/red] {exc}")
        raise typer.Exit(1) from None
    console.print(f"Systeembeheerder: {email}")
    if secret:
        typer.echo(f"Eenmalige link (3 dagen geldig), te openen op de server: {_link(secret)}")


def _make_admin(session, email: str, naam: str, password: str | None):
    from sqlalchemy import select

    from gebiedsatlas.accounts import audit
    from gebiedsatlas.accounts import services as accounts
    from gebiedsatlas.store.accounts import UserAccount

    user = session.scalar(select(UserAccount).where(UserAccount.email == accounts.normalise_email(email)))
    if user is None:
        user = accounts.create_user(session, email, naam or email, _operator(), password=password, is_admin=True)
    elif not user.is_admin:
        user.is_admin = True
        audit.record(session, _operator(), "gebruiker.beheerder-maken", object_type="gebruiker",
                     object_id=user.id, old=False, new=True)
    if password and user.password_hash is None or (password and not accounts.verify_password(user, password)):
        accounts.set_password(session, user, password, _operator())
    secret = None if password else accounts.issue_password_link(session, user, _operator(), reason="uitnodiging")
    return user, secret


@app.command("lid")
def add_member(
    email: Annotated[str, typer.Argument(help="e-mailadres")],
    organisatie: Annotated[str, typer.Argument(help="naam van de organisatie, bijv. 'Gemeente Almere'")],
    rol: Annotated[str, typer.Argument(help="lezer, redacteur, ondertekenaar of beheerder")],
    naam: Annotated[str, typer.Option(help="naam, als het account nog niet bestaat")] = "",
) -> None:
    """Maak iemand lid van een organisatie met een rol (een nieuw account krijgt een eenmalige link)."""
    from gebiedsatlas.accounts import services as accounts

    try:
        with _store() as session:
            organisation = accounts.organisation_by_name(session, organisatie)
            if organisation is None:
                raise accounts.AccountError({"organisatie": f"onbekende organisatie {organisatie!r}; zie "
                                                            "`gebiedsatlas gebruikers organisaties`"})
            invitation = accounts.invite(session, organisation, email, naam or email, rol, _operator())
            name = organisation.name
    except accounts.AccountError as exc:
        console.print(f"[red]Niet gelukt:[/red] {exc}")
        raise typer.Exit(1) from None
    console.print(f"{invitation.user.email} is {rol} bij {name}.")
    if invitation.secret:
        typer.echo(f"Eenmalige link (3 dagen geldig): {_link(invitation.secret)}")


@app.command("lijst")
def list_users() -> None:
    """Alle accounts met hun organisaties en rollen."""
    from sqlalchemy import select

    from gebiedsatlas.store.accounts import UserAccount

    table = Table("e-mail", "naam", "rollen", "actief")
    with _store() as session:
        for user in session.scalars(select(UserAccount).order_by(UserAccount.email)):
            roles = ["systeembeheerder"] if user.is_admin else []
            roles += [f"{m.organisation.name}: {m.role}" for m in user.memberships]
            table.add_row(user.email, user.name, "; ".join(roles), "ja" if user.is_active else "nee")
    console.print(table)


@app.command("organisaties")
def list_organisations() -> None:
    """De organisaties (elke partij heeft er een, plus de New Town Alliantie)."""
    from gebiedsatlas.accounts import services as accounts

    table = Table("naam", "soort", "leden", "sleutel identiteitsprovider")
    with _store() as session:
        for organisation in accounts.list_organisations(session, demo=False):
            table.add_row(organisation.name, organisation.kind, str(len(organisation.memberships)),
                          organisation.oidc_key or "")
    console.print(table)
