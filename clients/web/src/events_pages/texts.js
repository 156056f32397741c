// The organizer console's words (/events/console) in Korean (first) and English. Other
// languages of the client read the English; a missing English text falls back to Korean,
// then to the key. Pure: no DOM, tested in test/events_pages.test.js.
import { PAGE_LANGUAGE_NAMES, PAGE_LOCALES, PAGE_STRINGS, pageLocale, pageText } from "../pages_texts.js";

/** Languages the console is written in, in the order the picker offers them. */
export const EVENTS_LOCALES = PAGE_LOCALES;

/** Each language's own name, for the picker. */
export const EVENTS_LANGUAGE_NAMES = PAGE_LANGUAGE_NAMES;

/** The languages an event's texts and an announcement can be written in (Korean required). */
export const TEXT_LOCALES = Object.freeze(["ko", "en", "ja", "zh"]);

const STRINGS = {
  ...PAGE_STRINGS,

  // Page chrome and signing in (the words all staff pages share are in pages_texts.js).
  consoleTitle: { ko: "축제 운영 콘솔", en: "Festival organizer console" },
  token: { ko: "토큰 (운영자용)", en: "Token (organizers)" },
  organizerSignInHelp: {
    ko: "운영자(organizer) 또는 관리자(admin) 계정의 토큰(plaza token 또는 시의 로그인에서 받은 것)을 붙여 넣으세요.",
    en: "Paste the token of your organizer or admin account (from `plaza token` or the city's sign-in).",
  },
  signedInAs: { ko: "{name} 님({role})으로 로그인했습니다", en: "Signed in as {name} ({role})" },
  needOrganizer: {
    ko: "이 콘솔은 운영자(organizer) 또는 관리자(admin) 계정만 쓸 수 있습니다. 지금 계정: {role}",
    en: "This console is for organizer and admin accounts only; this account is {role}",
  },
  notOffered: {
    ko: "이 서버에는 아직 이 기능이 없습니다 (404). 서버를 업데이트한 뒤 다시 시도하세요",
    en: "This server does not offer this yet (404). Try again once the server is updated",
  },
  failed: { ko: "{action} 실패: {reason}", en: "{action} failed: {reason}" },
  required: { ko: "(필수)", en: "(required)" },
  optional: { ko: "(선택)", en: "(optional)" },

  // Language names for the text fields.
  lang_ko: { ko: "한국어", en: "Korean" },
  lang_en: { ko: "영어", en: "English" },
  lang_ja: { ko: "일본어", en: "Japanese" },
  lang_zh: { ko: "중국어", en: "Chinese" },

  // The server clock and the countdown.
  countdownTitle: { ko: "카운트다운", en: "Countdown" },
  serverTime: { ko: "서버 시각 {time}", en: "Server time {time}" },
  clockUnknown: { ko: "서버 시각을 아직 모릅니다", en: "Server time not known yet" },
  clockPrecision: { ko: "(오차 ±{ms}ms)", en: "(within ±{ms} ms)" },
  noCountdown: { ko: "예약된 카운트다운이 없습니다", en: "No countdown scheduled" },
  countdownTo: { ko: "{what} · {time}", en: "{what} at {time}" },
  countdownNow: { ko: "지금!", en: "Now!" },
  countdownLeft: { ko: "{what}까지 {left} 남았습니다", en: "{left} to {what}" },
  countdownForm: { ko: "카운트다운 시작", en: "Countdown to" },
  countdownAt: { ko: "목표 시각", en: "Target time" },
  inOneMinute: { ko: "1분 뒤로", en: "In 1 min" },
  inFiveMinutes: { ko: "5분 뒤로", en: "In 5 min" },
  startCountdown: { ko: "카운트다운 예약", en: "Schedule the countdown" },
  labelKo: { ko: "표시 문구 (한국어)", en: "Label (Korean)" },
  labelEn: { ko: "표시 문구 (영어)", en: "Label (English)" },
  labelHelp: {
    ko: "문구를 쓰려면 한국어는 꼭 적으세요",
    en: "A label needs a Korean text; English is optional",
  },
  sentAs: { ko: "전송 값: {iso} (서울 {seoul})", en: "Sent as {iso} (Seoul {seoul})" },
  timeZoneHelp: {
    ko: "시각은 이 브라우저의 시간대({zone})로 입력합니다",
    en: "Times are entered in this browser's time zone ({zone})",
  },

  // Cues.
  cuesTitle: { ko: "즉시 신호", en: "Quick cues" },
  fireworksIn5: { ko: "5초 뒤 불꽃놀이", en: "Fireworks in 5 s" },
  lightsIn5: { ko: "5초 뒤 조명 연출", en: "Lights in 5 s" },
  bellPreset: { ko: "타종 프리셋 (자정, 33번)", en: "Bell preset (33 strokes at midnight KST)" },
  bellPresetHelp: {
    ko: "아래 양식을 보신각 타종으로 채웁니다: 33번, 2.5초 간격, 다음 자정(한국 시각). 확인 후 예약하세요.",
    en: "Fills the form below with the Bosingak bell: 33 strokes, 2.5 s apart, from the next midnight in Seoul. Check it, then schedule.",
  },
  presetFilled: { ko: "타종 프리셋을 채웠습니다. 확인 후 예약하세요", en: "Bell preset filled in; check it and schedule" },
  momentForm: { ko: "순간 예약", en: "Schedule a moment" },
  kind: { ko: "종류", en: "Kind" },
  at: { ko: "시각", en: "Time" },
  count: { ko: "횟수", en: "Times" },
  everyS: { ko: "간격(초)", en: "Seconds apart" },
  scheduleMoment: { ko: "순간 예약", en: "Schedule" },
  momentScheduled: { ko: "{kind} 예약: {time}", en: "{kind} scheduled at {time}" },
  momentCancelled: { ko: "순간 {id}번을 취소했습니다", en: "Moment {id} cancelled" },
  kind_bell: { ko: "타종", en: "Bell" },
  kind_fireworks: { ko: "불꽃놀이", en: "Fireworks" },
  kind_lights: { ko: "조명", en: "Lights" },
  kind_countdown: { ko: "카운트다운", en: "Countdown" },
  kind_cue: { ko: "큐", en: "Cue" },
  momentsTitle: { ko: "예정된 순간", en: "Upcoming moments" },
  noMoments: { ko: "예정된 순간이 없습니다", en: "No moments scheduled" },
  colTime: { ko: "시각", en: "Time" },
  colKind: { ko: "종류", en: "Kind" },
  colLabel: { ko: "문구", en: "Label" },
  colEvent: { ko: "행사", en: "Event" },
  colRepeats: { ko: "반복", en: "Repeats" },
  colIn: { ko: "남은 시간", en: "In" },
  colActions: { ko: "작업", en: "Actions" },
  repeats: { ko: "{n}번 · {s}초 간격", en: "{n} × every {s} s" },
  once: { ko: "1번", en: "once" },
  cancel: { ko: "취소", en: "Cancel" },
  cancelMoment: { ko: "순간 {id}번 취소", en: "Cancel moment {id}" },
  firing: { ko: "진행 중", en: "firing" },
  needEvent: { ko: "먼저 행사를 고르세요 (없으면 새로 만드세요)", en: "Choose an event first (or create one)" },
  needTime: { ko: "시각을 입력하세요", en: "Enter a time" },

  // Events.
  liveTitle: { ko: "행사 진행", en: "Running the event" },
  currentEvent: { ko: "진행할 행사", en: "Event" },
  gates: { ko: "입장문", en: "Gates" },
  gates_open: { ko: "열림", en: "open" },
  gates_closed: { ko: "닫힘", en: "closed" },
  gatesAre: { ko: "입장문: {state}", en: "Gates: {state}" },
  openGates: { ko: "입장문 열기", en: "Open the gates" },
  closeGates: { ko: "입장문 닫기", en: "Close the gates" },
  gatesOpened: { ko: "{title}: 입장문을 열었습니다", en: "{title}: the gates are open" },
  gatesClosed: { ko: "{title}: 입장문을 닫았습니다", en: "{title}: the gates are closed" },
  capacity: { ko: "정원", en: "Capacity" },
  setCapacity: { ko: "정원 변경", en: "Set capacity" },
  capacitySet: { ko: "{title}: 정원 {n}명", en: "{title}: capacity {n}" },
  eventsTitle: { ko: "행사 일정", en: "Events" },
  noEvents: { ko: "예정된 행사가 없습니다", en: "No upcoming events" },
  colWhen: { ko: "일시", en: "When" },
  colCapacity: { ko: "정원", en: "Capacity" },
  colRsvps: { ko: "참석 신청", en: "RSVPs" },
  colGates: { ko: "입장문", en: "Gates" },
  colState: { ko: "상태", en: "State" },
  state_upcoming: { ko: "예정", en: "upcoming" },
  state_live: { ko: "진행 중", en: "live" },
  state_over: { ko: "종료", en: "over" },
  edit: { ko: "수정", en: "Edit" },
  editEvent: { ko: "행사 {id}번 수정", en: "Edit event {id}" },
  cancelEvent: { ko: "행사 {id}번 취소", en: "Cancel event {id}" },
  confirmCancel: { ko: "정말 취소하려면 한 번 더 누르세요", en: "Press again to cancel it" },
  confirmCancelButton: { ko: "취소 확인", en: "Confirm cancel" },
  eventCancelled: { ko: "행사 {id}번을 취소했습니다", en: "Event {id} cancelled" },
  eventFormNew: { ko: "새 행사", en: "New event" },
  eventFormEdit: { ko: "행사 {id}번 수정", en: "Editing event {id}" },
  eventTitleField: { ko: "제목", en: "Title" },
  eventDescriptionField: { ko: "설명", en: "Description" },
  startsAt: { ko: "시작", en: "Starts" },
  endsAt: { ko: "종료", en: "Ends" },
  performers: { ko: "출연자 (사용자 ID, 쉼표로 구분)", en: "Performers (user ids, comma separated)" },
  stage: { ko: "무대", en: "Stage" },
  stageFixed: { ko: "무대는 만든 뒤에는 바꿀 수 없습니다", en: "The stage cannot be changed once created" },
  createEvent: { ko: "행사 만들기", en: "Create event" },
  saveEvent: { ko: "변경 저장", en: "Save changes" },
  stopEditing: { ko: "수정 그만두기", en: "Stop editing" },
  eventCreated: { ko: "행사 {id}번을 만들었습니다", en: "Event {id} created" },
  eventSaved: { ko: "행사 {id}번을 저장했습니다", en: "Event {id} saved" },
  nothingChanged: { ko: "바뀐 내용이 없습니다", en: "Nothing changed" },
  needKoTitle: { ko: "한국어 제목과 설명은 꼭 적어야 합니다", en: "The Korean title and description are required" },
  needTimes: { ko: "시작과 종료 시각을 입력하세요", en: "Enter the start and the end" },

  // Attendance.
  attendanceTitle: { ko: "인스턴스별 참석 인원", en: "Attendance per instance" },
  inGrounds: { ko: "축제 마당에 {n}명", en: "{n} in the festival grounds" },
  ofCapacity: { ko: "행사 정원 {n}명", en: "event capacity {n}" },
  instanceN: { ko: "{n}번 인스턴스", en: "Instance {n}" },
  // A city served by several nodes numbers each node's instances from 1.
  instanceOnNode: { ko: "{node}의 {n}번 인스턴스", en: "Instance {n} on {node}" },
  colInstance: { ko: "인스턴스", en: "Instance" },
  colAvatars: { ko: "인원", en: "People" },
  colFull: { ko: "채움", en: "Full" },
  noFestival: { ko: "이 서버에는 축제 마당(festival) 구역이 없습니다", en: "This server has no festival zone" },

  // Announcements.
  announceTitle: { ko: "안내 방송", en: "Announcement" },
  announceHelp: {
    ko: "모든 인스턴스의 축제 마당에 있는 사람에게 각자의 언어로 자막처럼 보입니다. 한국어는 꼭 적으세요.",
    en: "Everyone in the festival grounds, in every instance, sees it as a caption in their language. Korean is required.",
  },
  announceText: { ko: "{lang} 안내", en: "{lang} text" },
  sendAnnouncement: { ko: "안내 보내기", en: "Send the announcement" },
  announced: { ko: "안내를 보냈습니다 ({n}명에게 전달)", en: "Announcement sent ({n} reached)" },
  needKoText: { ko: "한국어 안내를 적으세요", en: "Write the Korean text" },

  // Moderation.
  moderationTitle: { ko: "질서 유지", en: "Moderation" },
  subject: { ko: "사용자 ID", en: "User id" },
  subjectHelp: { ko: "예: guest:3f2a…, local:kim", en: "e.g. guest:3f2a…, local:kim" },
  reason: { ko: "사유", en: "Reason" },
  minutes: { ko: "기간(분, 비우면 해제할 때까지)", en: "Minutes (empty: until lifted)" },
  mute: { ko: "채팅 금지", en: "Mute" },
  ban: { ko: "접속 차단", en: "Ban" },
  kick: { ko: "축제 마당에서 내보내기", en: "Kick from the grounds" },
  muted: { ko: "{subject}: 채팅 금지 ({id}번)", en: "{subject} muted (sanction {id})" },
  banned: { ko: "{subject}: 접속 차단 ({id}번)", en: "{subject} banned (sanction {id})" },
  kicked: { ko: "{subject}을(를) 입구 광장으로 내보냈습니다", en: "{subject} was moved out to the entrance" },
  notThere: { ko: "{subject}은(는) 축제 마당에 없습니다", en: "{subject} is not in the festival grounds" },
  needSubject: { ko: "사용자 ID와 사유를 적으세요", en: "Enter the user id and a reason" },
  badMinutes: { ko: "기간은 1 이상의 정수(분)로 적으세요", en: "Minutes must be a whole number from 1" },
  slowModeTitle: { ko: "채팅 천천히 모드", en: "Chat slow mode" },
  slowSeconds: { ko: "한 사람당 채팅 간격(초, 0 = 끔)", en: "Seconds between a person's lines (0 = off)" },
  setSlowMode: { ko: "적용", en: "Apply" },
  slowModeOff: { ko: "끄기", en: "Turn off" },
  slowModeIs: { ko: "천천히 모드: {state}", en: "Slow mode: {state}" },
  slowOff: { ko: "꺼짐", en: "off" },
  slowOn: { ko: "{s}초에 한 줄", en: "one line every {s} s" },
  slowUnknown: { ko: "이 페이지에서 아직 바꾸지 않았습니다", en: "not changed from this page yet" },
  badSlow: { ko: "0에서 600 사이의 초를 적으세요", en: "Enter seconds from 0 to 600" },

  // Action names, for "{action} failed: {reason}".
  act_create: { ko: "행사 만들기", en: "Creating the event" },
  act_update: { ko: "행사 수정", en: "Saving the event" },
  act_cancel: { ko: "행사 취소", en: "Cancelling the event" },
  act_gates: { ko: "입장문", en: "Gates" },
  act_capacity: { ko: "정원 변경", en: "Setting the capacity" },
  act_moment: { ko: "순간 예약", en: "Scheduling the moment" },
  act_momentCancel: { ko: "순간 취소", en: "Cancelling the moment" },
  act_announce: { ko: "안내 방송", en: "The announcement" },
  act_mute: { ko: "채팅 금지", en: "Mute" },
  act_ban: { ko: "접속 차단", en: "Ban" },
  act_kick: { ko: "내보내기", en: "Kick" },
  act_slowMode: { ko: "천천히 모드", en: "Slow mode" },
  act_refresh: { ko: "새로 고침", en: "Refreshing" },
  act_signIn: { ko: "로그인", en: "Signing in" },
};

/** Every key of the table (the tests check both languages have each). */
export const EVENTS_KEYS = Object.freeze(Object.keys(STRINGS));

/** The table itself, for the tests. */
export const EVENTS_TABLE = STRINGS;

/** The console's language for a client locale: Korean, or English for every other. */
export function eventsLocale(locale) {
  return pageLocale(locale);
}

/**
 * The text for `key` in `locale` (English for locales without their own), with `{name}`
 * placeholders filled from `values`.
 * @param {string} locale
 * @param {string} key
 * @param {Record<string, string|number>} [values]
 */
export function et(locale, key, values = {}) {
  return pageText(STRINGS, locale, key, values);
}

/** Whether `key` is one of the table's. */
export function hasText(key) {
  return Object.hasOwn(STRINGS, key);
}
