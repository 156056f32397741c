// The 120 Center pages' words in Korean (first) and English. Other languages of the client
// (src/i18n.js LOCALES) read the English; a missing English text falls back to Korean, then
// to the key. Pure: no DOM, tested in test/center_pages.test.js.
import { PAGE_LANGUAGE_NAMES, PAGE_LOCALES, PAGE_STRINGS, pageLocale, pageText } from "../pages_texts.js";

/** Languages the center pages are written in, in the order the picker offers them. */
export const CENTER_LOCALES = PAGE_LOCALES;

/** Each language's own name, for the picker. */
export const CENTER_LANGUAGE_NAMES = PAGE_LANGUAGE_NAMES;

const STRINGS = {
  ...PAGE_STRINGS,

  // Page chrome and signing in (the words all staff pages share are in pages_texts.js).
  centerName: { ko: "메타버스 120 센터", en: "Metaverse 120 Center" },
  ticketTitle: { ko: "메타버스 120 센터 — 번호표", en: "Metaverse 120 Center — your ticket" },
  consoleTitle: { ko: "120 센터 상담 콘솔", en: "120 Center console" },
  dashboardTitle: { ko: "120 센터 현황판", en: "120 Center dashboard" },
  linkTicket: { ko: "번호표 페이지", en: "Ticket page" },
  linkConsole: { ko: "상담 콘솔", en: "Console" },
  linkDashboard: { ko: "현황판", en: "Dashboard" },
  name: { ko: "이름", en: "Name" },
  token: { ko: "토큰 (직원용)", en: "Token (staff)" },
  enter: { ko: "들어가기", en: "Enter" },
  staffSignInHelp: {
    ko: "직원 계정의 토큰(plaza token 또는 시의 로그인에서 받은 것)을 붙여 넣으세요.",
    en: "Paste the token of your staff account (from `plaza token` or the city's sign-in).",
  },
  citizenSignInHelp: {
    ko: "이름만 입력하면 손님으로 번호표를 받을 수 있습니다.",
    en: "Enter a name to take a number as a guest.",
  },
  signedInAs: { ko: "{name} 님으로 로그인했습니다", en: "Signed in as {name}" },
  needStaff: {
    ko: "이 콘솔은 직원(staff) 또는 관리자 계정만 쓸 수 있습니다",
    en: "This console is for staff and admin accounts only",
  },
  needAdmin: {
    ko: "현황판은 관리자(admin) 계정만 볼 수 있습니다",
    en: "The dashboard is for admin accounts only",
  },

  // Categories, needs, states, statuses.
  cat_transport: { ko: "교통", en: "Transport" },
  cat_tax: { ko: "세금", en: "Tax" },
  cat_welfare: { ko: "복지", en: "Welfare" },
  cat_housing: { ko: "주택", en: "Housing" },
  cat_other: { ko: "기타", en: "Other" },
  need_sign_language: { ko: "수어 통역", en: "Sign language" },
  need_easy_language: { ko: "쉬운 말", en: "Easy language" },
  need_large_text: { ko: "큰 글자", en: "Large text" },
  state_waiting: { ko: "대기 중", en: "Waiting" },
  state_called: { ko: "호출됨", en: "Called" },
  state_in_consultation: { ko: "상담 중", en: "In consultation" },
  state_closed: { ko: "처리 완료", en: "Closed" },
  state_cancelled: { ko: "취소됨", en: "Cancelled" },
  status_available: { ko: "상담 가능", en: "Available" },
  status_busy: { ko: "상담 중", en: "Busy" },
  status_on_break: { ko: "휴식 중", en: "On break" },
  status_offline: { ko: "오프라인", en: "Offline" },

  // Durations.
  underMinute: { ko: "1분 미만", en: "under a minute" },
  minutes: { ko: "{m}분", en: "{m} min" },
  hoursMinutes: { ko: "{h}시간 {m}분", en: "{h} h {m} min" },
  hoursOnly: { ko: "{h}시간", en: "{h} h" },
  seconds: { ko: "{s}초", en: "{s} s" },
  about: { ko: "약 {d}", en: "about {d}" },

  // The ticket page.
  centerHours: { ko: "센터 안내", en: "About the center" },
  openNow: { ko: "지금 상담 중입니다 ({schedule}, {timezone})", en: "Open now ({schedule}, {timezone})" },
  closedNow: {
    ko: "지금은 상담 시간이 아닙니다 ({schedule}, {timezone}). 연락처를 남기시면 다음 근무 시간에 연락드립니다.",
    en: "The center is closed now ({schedule}, {timezone}). Leave a phone number or e-mail address and the next shift will call you back.",
  },
  opensAt: { ko: "다음 상담 시작: {time}", en: "Opens again: {time}" },
  closesAt: { ko: "오늘 상담 종료: {time}", en: "Closes: {time}" },
  desksOpen: { ko: "열린 창구 {open}곳 / 전체 {all}곳", en: "{open} of {all} desks open" },
  takeNumber: { ko: "번호표 받기", en: "Take a number" },
  category: { ko: "분야", en: "Category" },
  description: { ko: "문의 내용", en: "What is it about?" },
  descriptionHelp: { ko: "최대 {n}자", en: "At most {n} characters" },
  charsLeft: { ko: "{n}자 남음", en: "{n} characters left" },
  needs: { ko: "필요한 도움", en: "Accessibility needs" },
  callbackAsk: { ko: "기다리지 않고 전화·이메일로 연락받기", en: "Call me back instead of waiting" },
  callbackForced: { ko: "상담 시간이 아니어서 연락 요청으로 접수됩니다", en: "Outside staffed hours this is a callback request" },
  contact: { ko: "연락처 (전화번호 또는 이메일)", en: "Phone number or e-mail address" },
  takeButton: { ko: "번호표 받기", en: "Take a number" },
  callbackButton: { ko: "연락 요청 남기기", en: "Ask for a callback" },
  taking: { ko: "번호표를 받는 중…", en: "Taking a number…" },
  retrying: { ko: "연결이 불안정해 다시 시도하는 중… ({n}번째)", en: "The connection failed; trying again… (attempt {n})" },
  retryHint: {
    ko: "번호표가 아직 확인되지 않았습니다. 다시 누르셔도 번호표가 두 장 생기지 않습니다.",
    en: "Your number is not confirmed yet. Pressing again never makes two tickets.",
  },
  taken: { ko: "번호표 {id}번을 받았습니다", en: "You have ticket number {id}" },
  takenCallback: { ko: "연락 요청 {id}번을 접수했습니다", en: "Callback request {id} received" },
  needDescription: { ko: "문의 내용을 적어 주세요", en: "Please describe what it is about" },
  needContact: { ko: "연락받을 전화번호나 이메일을 적어 주세요", en: "Please give a phone number or e-mail address" },
  myTicket: { ko: "내 번호표", en: "My ticket" },
  ticketNumber: { ko: "번호표 {id}번", en: "Ticket {id}" },
  callbackNumber: { ko: "연락 요청 {id}번", en: "Callback request {id}" },
  state: { ko: "상태", en: "State" },
  position: { ko: "순서", en: "Place in line" },
  positionNext: { ko: "다음 차례입니다", en: "You are next" },
  positionN: { ko: "{n}번째 (앞에 {ahead}명)", en: "Number {n} in line ({ahead} ahead of you)" },
  waitEstimate: { ko: "예상 대기 시간", en: "Estimated wait" },
  waitUnknown: { ko: "아직 알 수 없음 (열린 창구 없음)", en: "not known yet (no desk is open)" },
  callbackLegend: { ko: "연락 요청", en: "Callback" },
  desk: { ko: "창구", en: "Desk" },
  deskN: { ko: "{n}번 창구", en: "Desk {n}" },
  staffMember: { ko: "담당 직원", en: "Civil servant" },
  takenAt: { ko: "접수 시각", en: "Taken at" },
  goToDesk: { ko: "{desk}번 창구로 오세요. {staff} 주무관이 기다립니다.", en: "Please go to desk {desk}. {staff} is waiting for you." },
  goToDeskNoName: { ko: "{desk}번 창구로 오세요.", en: "Please go to desk {desk}." },
  goIn3d: { ko: "3D 센터로 가기", en: "Go to the 3D center" },
  calledAnnounce: { ko: "번호표 {id}번을 호출했습니다: {desk}번 창구", en: "Ticket {id} is called: desk {desk}" },
  resolution: { ko: "처리 결과", en: "Resolution" },
  leaveQueue: { ko: "대기 취소", en: "Leave the queue" },
  left: { ko: "번호표 {id}번을 취소했습니다", en: "You left the queue (ticket {id})" },
  conversation: { ko: "상담 대화", en: "Conversation" },
  conversationPrivate: {
    ko: "이 대화는 나와 담당 직원만 볼 수 있습니다.",
    en: "Only you and the civil servant can read this conversation.",
  },
  messageToStaff: { ko: "담당 직원에게 보낼 메시지", en: "Message to the civil servant" },
  messageToCitizen: { ko: "시민에게 보낼 메시지", en: "Message to the citizen" },
  send: { ko: "보내기", en: "Send" },
  noMessages: { ko: "아직 메시지가 없습니다", en: "No messages yet" },
  you: { ko: "나", en: "You" },
  rateTitle: { ko: "상담 평가", en: "Rate the service" },
  stars: { ko: "별점", en: "Stars" },
  starsN: { ko: "별 {n}개", en: "{n} stars" },
  star1: { ko: "별 1개", en: "1 star" },
  comment: { ko: "의견 (선택)", en: "Comment (optional)" },
  rate: { ko: "평가 보내기", en: "Send rating" },
  rated: { ko: "평가해 주셔서 감사합니다", en: "Thank you for your rating" },
  yourRating: { ko: "내 평가: {stars}", en: "Your rating: {stars}" },
  chooseStars: { ko: "별점을 골라 주세요", en: "Please choose 1 to 5 stars" },
  history: { ko: "진행 기록", en: "History" },
  myTickets: { ko: "내 번호표 목록", en: "My tickets" },
  noTickets: { ko: "아직 받은 번호표가 없습니다", en: "You have no tickets yet" },
  number: { ko: "번호", en: "Number" },
  show: { ko: "보기", en: "Show" },
  showTicket: { ko: "번호표 {id}번 보기", en: "Show ticket {id}" },
  shown: { ko: "보는 중", en: "Shown" },
  callbackTag: { ko: "연락 요청", en: "callback" },
  purged: { ko: "보관 기간이 지나 내용이 지워졌습니다", en: "The texts were erased after the retention period" },

  // Events (history).
  ev_created: { ko: "번호표를 받았습니다 ({category})", en: "Took a number ({category})" },
  ev_created_callback: { ko: "연락 요청을 남겼습니다 ({category})", en: "Asked for a callback ({category})" },
  ev_called: { ko: "{desk}번 창구에서 호출했습니다", en: "Called to desk {desk}" },
  ev_called_by: { ko: "{staff} 주무관이 호출했습니다", en: "Called by {staff}" },
  ev_called_plain: { ko: "호출되었습니다", en: "Called" },
  ev_message: { ko: "{name}: {text}", en: "{name}: {text}" },
  ev_note: { ko: "내부 메모: {text}", en: "Internal note: {text}" },
  ev_transferred: { ko: "{to}(으)로 이관되었습니다", en: "Transferred to {to}" },
  ev_transferred_plain: { ko: "이관되었습니다", en: "Transferred" },
  ev_closed: { ko: "처리가 완료되었습니다", en: "Closed" },
  ev_closed_with: { ko: "처리 완료: {text}", en: "Closed: {text}" },
  ev_rated: { ko: "별점 {stars}개로 평가했습니다", en: "Rated {stars} stars" },
  ev_cancelled: { ko: "취소되었습니다", en: "Cancelled" },
  ev_purged: { ko: "보관 기간이 지나 내용이 지워졌습니다", en: "Texts erased after the retention period" },
  ev_other: { ko: "{kind}", en: "{kind}" },

  // The console.
  myStatus: { ko: "내 상태", en: "My status" },
  status: { ko: "상태", en: "Status" },
  whoAmI: { ko: "{name} · {desk}", en: "{name} · {desk}" },
  noDesk: { ko: "배정된 창구 없음", en: "no desk" },
  skills: { ko: "담당 분야", en: "Skills" },
  saveSkills: { ko: "담당 분야 저장", en: "Save skills" },
  skillsSaved: { ko: "담당 분야를 저장했습니다", en: "Skills saved" },
  needSkill: { ko: "담당 분야를 하나 이상 고르세요", en: "Choose at least one category" },
  statusSet: { ko: "상태: {status}", en: "Status: {status}" },
  // "At my desk in 3D" (center_pages/presence.js).
  presenceToggle: { ko: "3D 센터 창구에 내 아바타 두기", en: "At my desk in 3D" },
  presenceHelp: {
    ko: "켜 두면 이 페이지가 열려 있고 창구가 배정된 동안 내 아바타가 3D 120 센터의 창구에 앉아 있습니다. 다른 창에서 직접 3D 도시에 들어가 있다면 끄세요.",
    en: "While this page is open and you have a desk, your avatar sits at it in the 3D 120 Center. Turn this off if you are in the 3D city yourself in another window.",
  },
  presenceAtDesk: {
    ko: "내 아바타가 120 센터 {n}번 창구에 앉아 있습니다",
    en: "Your avatar is at desk {n} in the 120 Center",
  },
  presenceInCenter: { ko: "내 아바타가 120 센터에 있습니다", en: "Your avatar is in the 120 Center" },
  presenceAway: { ko: "내 아바타가 3D 센터에 없습니다", en: "Your avatar is not in the 3D center" },
  presenceNoDesk: {
    ko: "내 아바타가 3D 센터에 없습니다. 창구가 배정되면 자리에 앉습니다",
    en: "Your avatar is not in the 3D center; it takes its seat once you have a desk",
  },
  presenceConnecting: {
    ko: "내 아바타를 3D 센터에 연결하는 중…",
    en: "Connecting your avatar to the 3D center…",
  },
  presenceReplaced: {
    ko: "내 아바타가 3D 센터에 없습니다. 다른 창에서 쓰고 있습니다(이 창으로 다시 데려오려면 껐다가 켜세요)",
    en: "Your avatar is not in the 3D center: another window is using it (turn this off and on to bring it back here)",
  },
  presenceFailed: {
    ko: "내 아바타가 3D 센터에 없습니다: {reason}",
    en: "Your avatar is not in the 3D center: {reason}",
  },
  queues: { ko: "대기열", en: "Queues" },
  waiting: { ko: "대기", en: "Waiting" },
  callbacks: { ko: "연락 요청", en: "Callbacks" },
  oldestWait: { ko: "가장 오래 기다린 시간", en: "Oldest wait" },
  callNext: { ko: "다음 번호 호출", en: "Call next" },
  calling: { ko: "호출 중…", en: "Calling…" },
  calledTicket: { ko: "번호표 {id}번을 호출했습니다", en: "Called ticket {id}" },
  nobodyWaiting: { ko: "기다리는 민원이 없습니다", en: "Nobody is waiting in your categories" },
  serving: { ko: "상담 중인 민원", en: "Tickets you serve" },
  notServing: {
    ko: "상담 중인 민원이 없습니다. '다음 번호 호출'을 누르세요.",
    en: "You are serving no ticket. Press “Call next”.",
  },
  citizen: { ko: "시민", en: "Citizen" },
  waited: { ko: "대기 시간", en: "Waited" },
  callbackContact: { ko: "연락처", en: "Contact" },
  notes: { ko: "내부 메모 (시민에게 보이지 않음)", en: "Internal notes (never shown to the citizen)" },
  noNotes: { ko: "메모가 없습니다", en: "No notes" },
  newNote: { ko: "새 메모", en: "New note" },
  addNote: { ko: "메모 추가", en: "Add note" },
  noteAdded: { ko: "메모를 추가했습니다", en: "Note added" },
  transfer: { ko: "이관", en: "Transfer" },
  transferTo: { ko: "이관할 곳", en: "Transfer to" },
  toCategory: { ko: "분야", en: "Category" },
  toColleague: { ko: "동료", en: "Colleague" },
  transferNote: { ko: "이관 메모 (선택)", en: "Note for the colleague (optional)" },
  transferButton: { ko: "이관하기", en: "Transfer" },
  transferred: { ko: "번호표 {id}번을 이관했습니다", en: "Ticket {id} transferred" },
  chooseTarget: { ko: "이관할 곳을 고르세요", en: "Choose where to transfer it" },
  closeTicket: { ko: "종결", en: "Close" },
  closeButton: { ko: "처리 완료로 종결", en: "Close with this resolution" },
  resolutionHelp: { ko: "시민에게 보이는 처리 결과", en: "The citizen sees the resolution" },
  needResolution: { ko: "처리 결과를 적어 주세요", en: "Please write the resolution" },
  closedTicket: { ko: "번호표 {id}번을 종결했습니다", en: "Ticket {id} closed" },
  messageSent: { ko: "메시지를 보냈습니다", en: "Message sent" },
  yourDay: { ko: "오늘의 실적", en: "Your day" },
  dayCalled: { ko: "호출", en: "Called" },
  dayClosed: { ko: "종결", en: "Closed" },
  dayTransferred: { ko: "이관", en: "Transferred" },
  dayHandling: { ko: "처리 시간 중앙값", en: "Median handling time" },
  daySatisfaction: { ko: "만족도", en: "Satisfaction" },
  satisfactionValue: { ko: "{mean} / 5 ({n}건)", en: "{mean} / 5 (ratings: {n})" },
  newMessageFrom: { ko: "{name}: {text}", en: "{name}: {text}" },

  // The dashboard.
  since: { ko: "오늘 {time}부터 집계 ({zone})", en: "Today's figures since {time} ({zone})" },
  summary: { ko: "요약", en: "Summary" },
  waitingNow: { ko: "지금 대기", en: "Waiting now" },
  callbacksWaiting: { ko: "연락 요청 대기", en: "Callbacks waiting" },
  created: { ko: "오늘 접수", en: "Taken today" },
  closedToday: { ko: "오늘 종결", en: "Closed today" },
  cancelledToday: { ko: "오늘 취소", en: "Cancelled today" },
  waitingPerCategory: { ko: "분야별 대기", en: "Waiting per category" },
  times: { ko: "대기·처리 시간", en: "Wait and handling times" },
  measure: { ko: "항목", en: "Measure" },
  waitTime: { ko: "대기 시간", en: "Wait" },
  handlingTime: { ko: "처리 시간", en: "Handling" },
  count: { ko: "건수", en: "Count" },
  satisfaction: { ko: "만족도", en: "Satisfaction" },
  satisfactionMean: { ko: "평균 {mean} / 5 (평가 {n}건)", en: "Mean {mean} / 5 (ratings: {n})" },
  noRatings: { ko: "아직 평가가 없습니다", en: "No ratings yet" },
  share: { ko: "비율", en: "Share" },
  staffByStatus: { ko: "직원 상태", en: "Staff by status" },
  people: { ko: "인원", en: "Staff" },
  perStaff: { ko: "직원별 실적", en: "Per civil servant" },
  staffName: { ko: "이름", en: "Name" },
  ratingMean: { ko: "평균 별점", en: "Mean rating" },
  noStaff: { ko: "오늘 일한 직원이 없습니다", en: "Nobody has worked today" },
};

/** Every key, for the completeness test. */
export const CENTER_KEYS = Object.freeze(Object.keys(STRINGS));
/** The raw table, for the completeness test. */
export const CENTER_TABLE = STRINGS;

/** The center pages' language for a client locale: Korean, or English for every other. */
export function centerLocale(locale) {
  return pageLocale(locale);
}

/**
 * The text for `key` in `locale` (English for locales without their own), with `{name}`
 * placeholders filled from `values`.
 * @param {string} locale
 * @param {string} key
 * @param {Record<string, string|number>} [values]
 */
export function ct(locale, key, values = {}) {
  return pageText(STRINGS, locale, key, values);
}

/** Whether `key` is one of the table's. */
export function hasText(key) {
  return Object.hasOwn(STRINGS, key);
}
