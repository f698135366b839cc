// The caller's tickets: the list, one ticket with its actions (status, assign, escalate, note), a new ticket
// prefilled from the contact, and the 409 flow: what changed, then re-apply on the current version.
import { ApiProblem, enc, type Ticket, type TicketsApi } from "./api";
import type { Config, Identity } from "./auth";
import { byId, el, field, when } from "./dom";

export interface ContactContext {
  contactId: string | null;
  customerId: string | null;
  team: string | null;
}

type Say = (words: string, problem?: boolean) => void;

const COMPARED: (keyof Ticket)[] = ["status", "agent", "team", "priority", "subject"];

export class TicketPanel {
  private contact: ContactContext = { contactId: null, customerId: null, team: null };
  private open: Ticket | null = null;

  constructor(private readonly api: TicketsApi, private readonly config: Config,
              private readonly identity: () => Identity | null, private readonly say: Say) {}

  async showCustomer(contact: ContactContext): Promise<void> {
    this.contact = contact;
    this.open = null;
    byId("ticket-detail").replaceChildren();
    this.renderCreateForm();
    const list = byId("ticket-list");
    if (!contact.customerId) {
      list.replaceChildren(el("p", { class: "muted" },
        "No known customer on this contact, so no tickets to list. You can still open a ticket by entering a customer id below."));
      return;
    }
    list.replaceChildren(el("p", { class: "muted", "aria-busy": "true" }, "Loading the caller's tickets…"));
    try {
      const answer = await this.api.get<{ tickets: Ticket[] }>(
        `/customers/${enc(contact.customerId)}/tickets?include_closed=true`);
      this.renderList(answer.tickets);
    } catch (error) {
      const words = error instanceof ApiProblem ? error.words : "The tickets could not be loaded.";
      list.replaceChildren(el("p", { class: "bad" }, `Tickets unavailable: ${words}`));
      this.say(words, true);
    }
  }

  private renderList(tickets: Ticket[]): void {
    const list = byId("ticket-list");
    if (!tickets.length) {
      list.replaceChildren(el("p", { class: "muted" }, "This customer has no tickets."));
      return;
    }
    const rows = tickets.map((t) => el("tr", { "data-ticket": t.ticket_id },
      el("td", {}, el("button", { type: "button", class: "secondary", "data-open": t.ticket_id,
                                  "aria-label": `Open ticket ${t.ticket_id}` }, t.ticket_id)),
      el("td", {}, t.subject), el("td", {}, t.status), el("td", {}, t.team), el("td", {}, String(t.priority)),
      el("td", {}, t.overdue ? el("span", { class: "bad" }, "overdue") : when(t.sla_due_at))));
    const table = el("table", { id: "ticket-table" },
      el("caption", { class: "muted" }, `${tickets.length} ticket(s), newest first`),
      el("thead", {}, el("tr", {}, ...["Ticket", "Subject", "Status", "Team", "Priority", "Due"].map(
        (h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, ...rows));
    table.addEventListener("click", (event) => {
      const target = (event.target as HTMLElement).closest("button[data-open]");
      if (target) void this.openTicket(target.getAttribute("data-open") ?? "");
    });
    list.replaceChildren(table);
  }

  async refreshList(): Promise<void> {
    if (!this.contact.customerId) return;
    try {
      const answer = await this.api.get<{ tickets: Ticket[] }>(
        `/customers/${enc(this.contact.customerId)}/tickets?include_closed=true`);
      this.renderList(answer.tickets);
    } catch (error) {
      if (error instanceof ApiProblem) this.say(error.words, true);
    }
  }

  async openTicket(ticketId: string): Promise<void> {
    try {
      this.renderDetail(await this.api.get<Ticket>(`/tickets/${enc(ticketId)}`));
    } catch (error) {
      this.say(error instanceof ApiProblem ? error.words : "The ticket could not be loaded.", true);
    }
  }

  private renderDetail(ticket: Ticket, notice?: Node): void {
    this.open = ticket;
    const t = ticket;
    const statusSelect = el("select", { id: "status-select", name: "status" },
      ...this.config.statuses.map((s) => { const o = new Option(s, s, false, s === t.status); return o; }));
    const statusNote = el("input", { id: "status-note", name: "note", maxlength: "2000", placeholder: "optional" });
    const assignee = el("input", { id: "assign-agent", name: "agent", value: this.identity()?.username ?? "",
                                   maxlength: "128" });
    const escalateTeam = el("select", { id: "escalate-team", name: "team" },
      ...this.config.teams.filter((team) => team !== t.team).map((team) => new Option(team, team)));
    const reason = el("input", { id: "escalate-reason", name: "reason", maxlength: "2000" });
    const note = el("textarea", { id: "note-text", name: "text", rows: "2", maxlength: "2000" });
    const statusForm = el("form", { id: "status-form", "aria-label": "Change status" },
      ...field("Status ", statusSelect), " ", ...field("Note ", statusNote), " ",
      el("button", { type: "submit" }, "Change status"));
    const assignForm = el("form", { id: "assign-form", "aria-label": "Assign" },
      ...field("Agent ", assignee), " ", el("button", { type: "submit" }, "Assign"));
    const escalateForm = el("form", { id: "escalate-form", "aria-label": "Escalate" },
      ...field("To team ", escalateTeam), " ", ...field("Reason ", reason), " ",
      el("button", { type: "submit" }, "Escalate"));
    const noteForm = el("form", { id: "note-form", "aria-label": "Add a note" },
      ...field("Note ", note), " ", el("button", { type: "submit" }, "Add note"));
    const changes: [HTMLFormElement, () => { action: string; body: Record<string, unknown> }][] = [
      [statusForm, () => ({ action: "status", body: { status: statusSelect.value, expected_version: t.version,
        ...(statusNote.value.trim() ? { note: statusNote.value.trim() } : {}),
        ...(this.contact.contactId ? { contact_id: this.contact.contactId } : {}) } })],
      [assignForm, () => ({ action: "assign", body: { agent: assignee.value.trim(), expected_version: t.version } })],
      [escalateForm, () => ({ action: "escalate", body: { team: escalateTeam.value, reason: reason.value.trim(),
                                                          expected_version: t.version } })],
      [noteForm, () => ({ action: "notes", body: { text: note.value.trim(),
        ...(this.contact.contactId ? { contact_id: this.contact.contactId } : {}) } })],
    ];
    for (const [form, change] of changes) {
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        const { action, body } = change();
        void this.apply(t, action, body);
      });
    }
    const history = (t.history ?? []).slice(-5).map((h) =>
      el("li", {}, `${when(h.at)}: ${h.action} by ${h.actor}${h.note ? ` — ${h.note}` : ""}`));
    byId("ticket-detail").replaceChildren(el("article", { id: "ticket", "aria-labelledby": "ticket-title",
                                                          "data-version": String(t.version) },
      el("h3", { id: "ticket-title", tabindex: "-1" }, `Ticket ${t.ticket_id}: ${t.subject}`),
      notice ?? null,
      el("p", { id: "ticket-facts" }, `Status ${t.status} · team ${t.team} · priority ${t.priority} · agent ${t.agent ?? "none"} · version ${t.version}${t.overdue ? " · overdue" : ""}`),
      el("div", { class: "actions" }, statusForm, assignForm, escalateForm, noteForm),
      history.length ? el("ul", { "aria-label": "Latest history" }, ...history) : null));
  }

  private async apply(ticket: Ticket, action: string, body: Record<string, unknown>): Promise<void> {
    try {
      const updated = await this.api.post<Ticket>(`/tickets/${enc(ticket.ticket_id)}/${action}`, body);
      this.say(`Ticket ${updated.ticket_id} updated (${action === "notes" ? "note added" : action}).`);
      this.renderDetail(updated);
      byId("ticket-title").focus();
      void this.refreshList();
    } catch (error) {
      if (!(error instanceof ApiProblem)) throw error;
      if (error.status === 409 && error.code === "version_conflict" && action !== "notes") {
        await this.conflict(ticket, action, body, error);
      } else {
        this.say(error.words, true);
      }
    }
  }

  /** 409: read the ticket again, show what changed since the agent read it, offer to re-apply on top. */
  private async conflict(mine: Ticket, action: string, body: Record<string, unknown>, error: ApiProblem): Promise<void> {
    let current: Ticket;
    try {
      current = await this.api.get<Ticket>(`/tickets/${enc(mine.ticket_id)}`);
    } catch (again) {
      this.say(again instanceof ApiProblem ? again.words : error.words, true);
      return;
    }
    const changed = COMPARED.filter((key) => mine[key] !== current[key])
      .map((key) => el("li", {}, `${key}: ${String(mine[key] ?? "none")} → ${String(current[key] ?? "none")}`));
    const reapply = el("button", { type: "button", id: "reapply" }, "Re-apply my change");
    const box = el("div", { class: "conflict", id: "conflict", role: "group", "aria-label": "Conflict" },
      el("p", {}, error.words),
      el("p", {}, `Version ${mine.version} → ${current.version}. What changed:`),
      changed.length ? el("ul", { id: "conflict-changes" }, ...changed) : el("p", {}, "Only notes were added."),
      reapply);
    reapply.addEventListener("click", () => {
      void this.apply(current, action, { ...body, expected_version: current.version });
    });
    this.say(error.words, true);
    this.renderDetail(current, box);
    reapply.focus();
  }

  private renderCreateForm(): void {
    const form = byId<HTMLFormElement>("create-form");
    form.className = "grid";
    const customer = el("input", { id: "new-customer", name: "customer_id", value: this.contact.customerId ?? "",
                                   maxlength: "64", required: true });
    const subject = el("input", { id: "new-subject", name: "subject", maxlength: "200", required: true });
    const category = el("select", { id: "new-category", name: "category" },
      ...this.config.categories.map((c) => new Option(c, c)));
    const teams = this.config.teams;
    const team = el("select", { id: "new-team", name: "team" },
      ...teams.map((q) => new Option(q, q, false, q === this.contact.team)));
    const priority = el("select", { id: "new-priority", name: "priority" },
      ...this.config.priorities.map((p) => new Option(String(p), String(p), false, p === 3)));
    const note = el("textarea", { id: "new-note", name: "note", rows: "2", maxlength: "2000" });
    const submit = el("button", { type: "submit", id: "create-submit" }, "Open ticket");
    form.replaceChildren(...field("Customer", customer), ...field("Subject", subject), ...field("Category", category),
      ...field("Team", team), ...field("Priority", priority), ...field("Note", note),
      el("span", {}), submit);
    form.onsubmit = async (event) => {
      event.preventDefault();
      submit.disabled = true;
      const body: Record<string, unknown> = {
        customer_id: customer.value.trim(), subject: subject.value.trim(), category: category.value,
        team: team.value, priority: Number(priority.value),
        request_id: crypto.randomUUID(),
        ...(this.contact.contactId ? { contact_id: this.contact.contactId } : {}),
        ...(note.value.trim() ? { note: note.value.trim() } : {}),
      };
      try {
        const ticket = await this.api.post<Ticket>("/tickets", body);
        this.say(`Ticket ${ticket.ticket_id} opened for ${ticket.customer_id}.`);
        subject.value = "";
        note.value = "";
        (byId("create") as HTMLDetailsElement).open = false;
        if (!this.contact.customerId || this.contact.customerId === ticket.customer_id) {
          this.contact = { ...this.contact, customerId: ticket.customer_id };
          await this.refreshList();
        }
        this.renderDetail(ticket);
        byId("ticket-title").focus();
      } catch (error) {
        this.say(error instanceof ApiProblem ? error.words : "The ticket could not be opened.", true);
      } finally {
        submit.disabled = false;
      }
    };
  }
}
