// City Hall's mayor's office (docs/protocol.md 17.4, zone city_hall) for both pages: the
// citizens' proposals with the city's answers, a form to submit one, and the open polls with
// their live tallies and a vote button per option. Guests see the lists and are told that
// proposals and votes need a citizen sign-in.
import { t } from "../i18n.js";
import { button, el, heading, note, say, textField } from "./dom.js";
import { tallyRows, totalVotes } from "./tally.js";
import { shortDate } from "./texts.js";
import { ask, refusalText } from "./zone_requests.js";

export const CITY_HALL_ZONE = "city_hall";
const STATE_KEYS = {
  submitted: "stateSubmitted",
  under_review: "stateUnderReview",
  answered: "stateAnswered",
  rejected: "stateRejected",
};

export class MayorsOffice {
  /**
   * @param {import("./visit.js").Visit} visit
   * @param {HTMLElement} root
   * @param {() => string} locale
   * @param {{level?: number}} [options] heading level of the parts (proposals, polls)
   */
  constructor(visit, root, locale, { level = 3 } = {}) {
    this.visit = visit;
    this.locale = locale;
    this.level = level;
    this.proposals = [];
    this.polls = [];
    /** The option this user voted for, by poll id (this visit). */
    this.votes = new Map();
    /** Polls with a vote on its way. */
    this.pending = new Set();
    /** Each poll's drawn item, kept while its question and options stay the same. */
    this.pollViews = new Map();
    this.citizen = visit.role !== "guest";
    const loc = locale();
    this.guestNote = this.citizen ? null : el("p", { class: "zone-hint", i18n: ["citizenOnly", loc] });
    this.proposalList = el("ul", { class: "proposal-list" });
    this.pollList = el("ul", { class: "poll-list" });
    root.append(
      ...[this.guestNote].filter(Boolean),
      el("div", { class: "zone-subsection" }, heading(level, "polls", loc), this.pollList),
      el(
        "div",
        { class: "zone-subsection" },
        heading(level, "proposals", loc),
        this.proposalList,
        this.citizen ? this.#proposalForm() : null,
      ),
    );
    visit.feed.addEventListener("reset", () => {
      this.proposals = [];
      this.polls = [];
      this.render();
    });
    visit.feed.addEventListener("resume", () => this.refresh());
    visit.feed.on(CITY_HALL_ZONE, {
      proposals: (data) => this.#setProposals(data?.proposals),
      polls: (data) => this.#setPolls(data?.polls),
    });
    this.render();
  }

  /** Ask for both lists again (after a reconnect). */
  async refresh() {
    if (this.visit.zone?.name !== CITY_HALL_ZONE) return;
    const [proposals, polls] = await Promise.all([ask(this.visit, "proposals"), ask(this.visit, "polls")]);
    if (proposals.ok) this.#setProposals(proposals.detail?.proposals);
    if (polls.ok) this.#setPolls(polls.detail?.polls);
  }

  /** Draw everything again (another language). */
  render() {
    this.pollViews.clear();
    this.#renderProposals();
    this.#renderPolls();
  }

  #setProposals(list) {
    this.proposals = Array.isArray(list) ? list : [];
    this.#renderProposals();
  }

  #setPolls(list) {
    this.polls = Array.isArray(list) ? list : [];
    this.#renderPolls();
  }

  #renderProposals() {
    const locale = this.locale();
    if (this.proposals.length === 0) {
      this.proposalList.replaceChildren(el("li", { class: "empty", text: t(locale, "noProposals") }));
      return;
    }
    this.proposalList.replaceChildren(...this.proposals.map((p) => this.#proposalItem(p, locale)));
  }

  #proposalItem(proposal, locale) {
    const state = t(locale, STATE_KEYS[proposal.state] ?? "stateSubmitted");
    const meta = [t(locale, "proposalBy", { name: proposal.author ?? "" }), state];
    if (typeof proposal.created_at === "number") meta.push(shortDate(proposal.created_at, locale));
    const item = el(
      "li",
      { class: `proposal state-${proposal.state}` },
      el(`h${this.level + 1}`, { class: "proposal-title", text: proposal.title }),
      el("p", { class: "meta", text: meta.join(" · ") }),
      el("p", { class: "proposal-body", text: proposal.body }),
    );
    if (proposal.answer) {
      item.append(
        el(
          "div",
          { class: "official-answer" },
          el("strong", { text: t(locale, "officialAnswer") }),
          " ",
          el("span", { text: proposal.answer }),
        ),
      );
    }
    return item;
  }

  #proposalForm() {
    const locale = this.locale();
    const title = textField("proposal-title", "fieldTitle", locale, { maxLength: 100 });
    const body = textField("proposal-body", "fieldProposal", locale, { maxLength: 2000, rows: 4 });
    const status = note();
    const submit = button("submitProposal", locale, { type: "submit" });
    const form = el(
      "form",
      { class: "zone-form proposal-form" },
      heading(this.level + 1, "newProposal", locale),
      title.row,
      body.row,
      el("p", {}, submit),
      status,
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      submit.disabled = true;
      say(status, "");
      const result = await ask(this.visit, "proposal.submit", {
        title: title.control.value.trim(),
        body: body.control.value.trim(),
      });
      submit.disabled = false;
      if (result.ok) {
        title.control.value = "";
        body.control.value = "";
        say(status, t(this.locale(), "proposalSubmitted"));
      } else say(status, refusalText(this.locale(), result.detail), true);
    });
    return form;
  }

  #renderPolls() {
    const locale = this.locale();
    if (this.polls.length === 0) {
      this.pollViews.clear();
      this.pollList.replaceChildren(el("li", { class: "empty", text: t(locale, "noPolls") }));
      return;
    }
    const seen = new Set();
    const items = this.polls.map((poll) => {
      const signature = JSON.stringify([poll.question, poll.options]);
      let view = this.pollViews.get(poll.id);
      if (view === undefined || view.signature !== signature) {
        view = this.#pollView(poll, signature, locale);
        this.pollViews.set(poll.id, view);
      }
      seen.add(poll.id);
      this.#updatePoll(view, poll, locale);
      return view.item;
    });
    for (const id of [...this.pollViews.keys()]) if (!seen.has(id)) this.pollViews.delete(id);
    // Items are moved only when the list changed, so a focused vote button keeps its focus
    // while tallies come in.
    const current = [...this.pollList.children];
    if (current.length !== items.length || current.some((node, i) => node !== items[i])) {
      this.pollList.replaceChildren(...items);
    }
  }

  #pollView(poll, signature, locale) {
    const status = note();
    const rows = tallyRows(poll).map((row) => {
      const count = el("span", { class: "tally-count" });
      const fill = el("span", { class: "tally-fill" });
      const bar = el("span", { class: "tally-bar", "aria-hidden": "true" }, fill);
      const vote = this.citizen
        ? button("vote", locale, {
            class: "vote",
            "aria-label": t(locale, "voteFor", { option: row.option }),
            onclick: () => this.#vote(poll.id, row.index, row.option, status),
          })
        : null;
      const item = el("li", { class: "poll-option" }, el("span", { class: "option-text", text: row.option }), " ", bar, " ", count, " ", vote);
      return { item, count, fill, vote };
    });
    const total = el("p", { class: "meta" });
    const item = el(
      "li",
      { class: "poll", lang: poll.locale || undefined },
      el(`h${this.level + 1}`, { class: "poll-question", text: poll.question }),
      el("ul", { class: "poll-options" }, ...rows.map((r) => r.item)),
      total,
      status,
    );
    return { signature, item, rows, total, status };
  }

  #updatePoll(view, poll, locale) {
    const voted = this.votes.get(poll.id);
    for (const row of tallyRows(poll)) {
      const part = view.rows[row.index];
      if (!part) continue;
      const mine = voted === row.index ? ` ✓ ${t(locale, "yourVote")}` : "";
      const count = t(locale, row.count === 1 ? "votesCountOne" : "votesCount", { n: row.count });
      part.count.textContent = `${count} (${row.percent}%)${mine}`;
      part.fill.style.width = `${row.percent}%`;
      part.item.classList.toggle("leading", row.leading);
      if (part.vote) part.vote.disabled = voted !== undefined || this.pending.has(poll.id);
    }
    const total = totalVotes(poll);
    const parts = [t(locale, total === 1 ? "totalVotesOne" : "totalVotes", { n: total })];
    if (typeof poll.closes_at === "number") parts.push(t(locale, "closesAt", { time: shortDate(poll.closes_at, locale) }));
    view.total.textContent = parts.join(" · ");
  }

  async #vote(pollId, option, text, status) {
    const view = this.pollViews.get(pollId);
    for (const part of view?.rows ?? []) if (part.vote) part.vote.disabled = true;
    say(status, "");
    this.pending.add(pollId);
    const result = await ask(this.visit, "poll.vote", { poll: pollId, option });
    this.pending.delete(pollId);
    const locale = this.locale();
    if (result.ok) {
      this.votes.set(pollId, option);
      say(status, t(locale, "votedFor", { option: text }));
    } else {
      // Voted before (another visit): no more buttons for this poll either.
      if (/already voted/.test(String(result.detail))) this.votes.set(pollId, -1);
      say(status, refusalText(locale, result.detail), true);
    }
    const poll = this.polls.find((p) => p.id === pollId);
    const current = this.pollViews.get(pollId);
    if (poll && current) this.#updatePoll(current, poll, locale);
  }
}
