// The agent desktop: boot (config, sign-in, softphone), the screen pop, live hints, tickets, supervisor view.
import { ApiProblem, enc, type Hint, type Ticket, TicketsApi } from "./api";
import { cognitoReturn, cognitoSignIn, type Config, type Identity, localSignIn } from "./auth";
import { byId, el, field, when } from "./dom";
import { type RecentContact, screenPop } from "./screenpop";
import { LocalSoftphone, type ConnectedContact, type Softphone } from "./softphone";
import { TicketPanel } from "./tickets";

let identity: Identity | null = null;
let config: Config;
let live: ConnectedContact | null = null;
let hintTimer: number | undefined;

function say(words: string, problem = false): void {
  byId(problem ? "alert" : "status").textContent = words;
  byId(problem ? "status" : "alert").textContent = "";
}

function signedOut(): void {
  // The token expired (401): keep everything on screen, ask for a new sign-in beside it.
  identity = null;
  byId("who").textContent = "Not signed in";
  void showSignIn("Your sign-in has expired or is missing: sign in again to continue. Nothing was changed.");
}

async function showSignIn(reason?: string): Promise<void> {
  const section = byId("signin");
  section.hidden = false;
  const body = byId("signin-body");
  if (config.mode === "aws" && config.cognito) {
    const go = el("button", { type: "button", id: "signin-submit" }, "Sign in with your agent account");
    go.addEventListener("click", () => void cognitoSignIn(config.cognito!));
    body.replaceChildren(reason ? el("p", {}, reason) : "", go);
    return;
  }
  const name = el("input", { id: "signin-name", name: "username", autocomplete: "username", required: true,
                             maxlength: "64", value: "ana" });
  const team = el("select", { id: "signin-team", name: "team" }, new Option("(no team)", ""),
    ...config.teams.map((t) => new Option(t, t, false, t === "general")));
  const supervisor = el("input", { id: "signin-supervisor", type: "checkbox", name: "supervisor" });
  const form = el("form", { id: "signin-form", class: "grid" },
    el("p", { class: "muted" }, "Local stand-in identity (in AWS: the Cognito user pool)."), el("span", {}),
    ...field("Agent", name), ...field("Team", team), ...field("Supervisor", supervisor),
    el("span", {}), el("button", { type: "submit", id: "signin-submit" }, "Sign in"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      signedIn(await localSignIn(config.local!.base, name.value.trim(), team.value, supervisor.checked));
    } catch (error) {
      say(error instanceof Error ? error.message : "The sign-in failed.", true);
    }
  });
  body.replaceChildren(reason ? el("p", { class: "warn" }, reason) : "", form);
  name.focus();
}

function signedIn(who: Identity): void {
  identity = who;
  byId("signin").hidden = true;
  byId("who").textContent = `Signed in as ${who.username}${who.teams.length ? ` (${who.teams.join(", ")})` : ""}${who.supervisor ? ", supervisor" : ""}`;
  byId("views").hidden = !who.supervisor;
  say(`Signed in as ${who.username}.`);
  if (live) void refreshContact();
}

const api = () => new TicketsApi(config.apiBase, () => identity?.token ?? null, signedOut);
let tickets: TicketPanel;

const IDENTITY_LABELS: Record<string, string> = {
  caller_id: "the calling number (not verified)",
  signed: "the company site's sign-in (verified)",
  typed: "what the customer typed in the chat (not verified: confirm before discussing the account)",
};

function identityLabel(identity: string | null): Node | string {
  if (identity === null || identity === "none") return el("span", { class: "muted" }, "nobody");
  const label = IDENTITY_LABELS[identity] ?? identity;
  return identity === "signed" ? label : el("span", { class: "warn" }, label);
}

function recentList(contacts: RecentContact[]): Node {
  if (!contacts.length) return el("span", { class: "muted" }, "none on record");
  return el("ol", { id: "recent-contacts" }, ...contacts.map((c) => el("li", { "data-contact": c.contactId },
    `${c.channel} ${c.at.replace("T", " ").replace("Z", " UTC")}: ${c.queue || "no queue"}, ${c.reason || "no reason"}`
    + (c.ticketId ? `, ticket ${c.ticketId}` : "") + (c.identity === "typed" ? " (identity typed, not verified)" : ""))));
}

function renderScreenPop(contact: ConnectedContact): void {
  const pop = screenPop(contact.attributes, contact.queueName, config);
  const row = (term: string, value: Node | string) => [el("dt", {}, term), el("dd", {}, value)];
  const unknown = (value: string | number | null, none = "unknown") => value === null ? el("span", { class: "muted" }, none) : String(value);
  const latest = pop.latestTicketId
    ? `${pop.latestTicketId} (${pop.latestTicketStatus ?? "status unknown"}${pop.latestTicketOverdue ? ", overdue" : ""})`
    : el("span", { class: "muted" }, "none");
  byId("screen-pop").replaceChildren(
    el("h2", { id: "screen-pop-title" }, "Caller"),
    el("dl", { class: "pop", id: "pop" },
      ...row("Customer", pop.customerId ? pop.customerId : el("span", { class: "warn" }, "not identified (unknown, withheld or unverified number)")),
      ...row("Name", unknown(pop.name, "not verified (asked for the PIN?)")),
      ...row("Tier", unknown(pop.tier)),
      ...row("Language", unknown(pop.language)),
      ...row("Queue", unknown(pop.queue)),
      ...row("Routing reason", unknown(pop.reason)),
      ...row("Routing note", unknown(pop.note, "none")),
      ...row("Open tickets", unknown(pop.openTickets)),
      ...row("Overdue tickets", pop.overdueTickets ? el("span", { class: "bad" }, String(pop.overdueTickets)) : unknown(pop.overdueTickets)),
      ...row("Latest ticket", latest),
      ...row("Identified by", identityLabel(pop.identity)),
      ...row("Recent contacts", recentList(pop.recentContacts))),
    pop.problems.length
      ? el("p", { class: "warn", id: "pop-problems" }, `Some contact details could not be read and are shown as unknown: ${pop.problems.join(", ")}.`)
      : "",
    el("p", { class: "muted" }, `Contact ${contact.contactId}`));
  const section = byId("screen-pop");
  section.dataset.state = "connected";
  section.dataset.contact = contact.contactId;
}

async function refreshContact(): Promise<void> {
  if (!live) return;
  const pop = screenPop(live.attributes, live.queueName, config);
  await tickets.showCustomer({ contactId: live.contactId, customerId: pop.customerId, team: pop.queue });
}

async function pollHints(contactId: string): Promise<void> {
  if (!live || live.contactId !== contactId || !identity) return;
  const list = byId("hint-list");
  try {
    const answer = await api().get<{ hints: Hint[] }>(`/contacts/${enc(contactId)}/insights`);
    list.replaceChildren(...(answer.hints.length ? answer.hints.map((h) =>
      el("li", { class: h.kind === "alert" ? "hint-alert" : "", "data-rule": h.rule },
        `${h.kind === "alert" ? "Alert" : "Hint"} (${h.severity}): ${h.text}`))
      : [el("li", { class: "muted" }, "No hints for this contact.")]));
    list.dataset.state = "ok";
  } catch (error) {
    list.dataset.state = "stale";
    if (error instanceof ApiProblem && error.status !== 401) {
      list.prepend(el("li", { class: "warn" }, `Hints may be out of date: ${error.words}`));
    }
  }
}

function startHints(contactId: string): void {
  window.clearInterval(hintTimer);
  void pollHints(contactId);
  hintTimer = window.setInterval(() => void pollHints(contactId), config.pollSeconds * 1000);
}

async function showSupervisor(): Promise<void> {
  const figures = byId("queue-figures");
  figures.replaceChildren(el("p", { class: "muted" }, "Loading queue figures…"));
  let contacts: Record<string, Record<string, number>> = {};
  let contactsNote = "Per-queue contact figures are not available in this deployment yet.";
  if (config.queueFigures) {
    try {
      const answer = await (await fetch(config.queueFigures)).json() as { queues: ({ queue: string } & Record<string, number>)[]; source: string };
      contacts = Object.fromEntries(answer.queues.map((q) => [q.queue, q]));
      contactsNote = `Contact figures: ${answer.source}.`;
    } catch {
      contactsNote = "Per-queue contact figures could not be read.";
    }
  }
  const rows: HTMLTableRowElement[] = [];
  const alerts: Hint[] = [];
  for (const team of config.teams) {
    let open = "?";
    let overdue = "?";
    try {
      const list = await api().get<{ tickets: Ticket[]; count?: number }>(`/teams/${enc(team)}/tickets`);
      open = String(list.count ?? list.tickets.length);
      overdue = String(list.tickets.filter((t) => t.overdue).length);
      alerts.push(...(await api().get<{ alerts: Hint[] }>(`/teams/${enc(team)}/alerts`)).alerts);
    } catch (error) {
      if (error instanceof ApiProblem) say(error.words, true);
    }
    const c = contacts[team] ?? {};
    const n = (key: string) => (c[key] === undefined ? "–" : String(c[key]));
    rows.push(el("tr", { "data-queue": team }, el("th", { scope: "row" }, team), el("td", {}, n("offered")),
      el("td", {}, n("waiting")), el("td", {}, n("connected")), el("td", {}, n("ended")), el("td", {}, open),
      el("td", {}, overdue)));
  }
  figures.replaceChildren(el("table", { id: "queue-table" },
    el("thead", {}, el("tr", {}, ...["Queue", "Offered", "Waiting", "Connected", "Ended", "Open tickets", "Overdue"]
      .map((h) => el("th", { scope: "col" }, h)))), el("tbody", {}, ...rows)),
    el("p", { class: "muted" }, contactsNote));
  byId("alerts").replaceChildren(alerts.length
    ? el("ul", { id: "alert-list" }, ...alerts.map((a) => el("li", {}, `${when(a.at)} · ${a.team} · contact ${a.contact_id}: ${a.text}`)))
    : el("p", { class: "muted" }, "No alerts."));
}

function setView(supervisor: boolean): void {
  byId("agent-view").hidden = supervisor;
  byId("supervisor-view").hidden = !supervisor;
  byId("view-agent").setAttribute("aria-pressed", String(!supervisor));
  byId("view-supervisor").setAttribute("aria-pressed", String(supervisor));
  if (supervisor) void showSupervisor();
}

async function softphone(): Promise<Softphone> {
  if (config.mode === "aws" && config.connect) {
    const { StreamsSoftphone } = await import("./streams");
    return new StreamsSoftphone(config.connect.instanceUrl, config.connect.region);
  }
  return new LocalSoftphone(config.local!.base);
}

async function boot(): Promise<void> {
  try {
    config = (await (await fetch("config.json", { cache: "no-store" })).json()) as Config;
  } catch {
    say("The desktop's configuration (config.json) could not be loaded: reload the page, or ask your administrator.", true);
    return;
  }
  tickets = new TicketPanel(api(), config, () => identity, say);
  byId("view-agent").addEventListener("click", () => setView(false));
  byId("view-supervisor").addEventListener("click", () => setView(true));
  if (config.mode === "aws" && config.cognito) {
    try {
      const back = await cognitoReturn(config.cognito);
      if (back) signedIn(back);
    } catch (error) {
      say(error instanceof Error ? error.message : "The sign-in failed.", true);
    }
  }
  if (!identity) await showSignIn();
  const phone = await softphone();
  await phone.start(byId("softphone-body"), {
    incoming: () => say("Incoming call."),
    connected: (contact, at) => {
      live = contact;
      renderScreenPop(contact);
      requestAnimationFrame(() => {
        performance.measure("screen-pop", { start: at, end: performance.now() });
        byId("screen-pop").dataset.poppedMs = (performance.now() - at).toFixed(1);
      });
      say("Call connected.");
      if (identity) {
        void refreshContact().then(() => performance.measure("caller-tickets", { start: at, end: performance.now() }));
      }
      startHints(contact.contactId);
    },
    ended: (contactId) => {
      if (live?.contactId === contactId) {
        window.clearInterval(hintTimer);
        byId("screen-pop").dataset.state = "ended";
        say("Call ended. The caller's details stay here until the next call.");
      }
    },
    problem: (words) => say(words, true),
  });
}

void boot();
