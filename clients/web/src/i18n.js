// The client's words in Korean (first), English, Japanese and Chinese. To add a language,
// add its code to LOCALES (the server must accept it too: server/auth.py LOCALES) and one
// entry per key below; a missing key falls back to Korean, then to the key itself.

/** Languages the client speaks, in the order the settings offer them. */
export const LOCALES = ["ko", "en", "ja", "zh"];

/** Each language's own name, for the language picker. */
export const LANGUAGE_NAMES = { ko: "한국어", en: "English", ja: "日本語", zh: "中文" };

const STRINGS = {
  skipToContent: {
    ko: "본문으로 건너뛰기",
    en: "Skip to content",
    ja: "本文へスキップ",
    zh: "跳到正文",
  },
  title: { ko: "서울 광장", en: "Seoul Plaza", ja: "ソウル広場", zh: "首尔广场" },
  enter: { ko: "입장하기", en: "Enter", ja: "入場する", zh: "进入" },
  name: { ko: "이름", en: "Name", ja: "名前", zh: "名字" },
  language: { ko: "언어", en: "Language", ja: "言語", zh: "语言" },
  token: { ko: "토큰 (직원용)", en: "Token (staff)", ja: "トークン（職員用）", zh: "令牌（工作人员）" },
  signIn: { ko: "로그인", en: "Sign in", ja: "サインイン", zh: "登录" },
  settings: { ko: "설정", en: "Settings", ja: "設定", zh: "设置" },
  captions: { ko: "자막", en: "Captions", ja: "字幕", zh: "字幕" },
  reducedMotion: { ko: "움직임 줄이기", en: "Reduced motion", ja: "動きを減らす", zh: "减少动态效果" },
  highContrast: { ko: "고대비", en: "High contrast", ja: "ハイコントラスト", zh: "高对比度" },
  save: { ko: "저장", en: "Save", ja: "保存", zh: "保存" },
  close: { ko: "닫기", en: "Close", ja: "閉じる", zh: "关闭" },
  mode2d: { ko: "2D 화면으로", en: "2D mode", ja: "2D表示へ", zh: "2D模式" },
  mode3d: { ko: "3D 화면으로", en: "3D mode", ja: "3D表示へ", zh: "3D模式" },
  enterVr: { ko: "VR 입장", en: "Enter VR", ja: "VRに入る", zh: "进入VR" },
  connecting: { ko: "연결 중…", en: "Connecting…", ja: "接続中…", zh: "正在连接…" },
  connected: { ko: "연결됨", en: "Connected", ja: "接続済み", zh: "已连接" },
  reconnecting: { ko: "다시 연결 중…", en: "Reconnecting…", ja: "再接続中…", zh: "正在重新连接…" },
  disconnected: { ko: "연결 끊김", en: "Disconnected", ja: "切断されました", zh: "已断开" },
  banned: {
    ko: "이용이 제한되었습니다",
    en: "You have been banned",
    ja: "利用が制限されました",
    zh: "您已被禁止进入",
  },
  full: {
    ko: "광장이 가득 찼습니다. 잠시 후 다시 시도하세요",
    en: "The plaza is full. Please try again shortly",
    ja: "広場が満員です。しばらくしてからお試しください",
    zh: "广场已满，请稍后再试",
  },
  expired: {
    ko: "로그인이 만료되었습니다. 다시 로그인하세요",
    en: "Your sign-in expired. Please sign in again",
    ja: "サインインの有効期限が切れました。もう一度サインインしてください",
    zh: "登录已过期，请重新登录",
  },
  replaced: {
    ko: "다른 창에서 접속했습니다",
    en: "You signed in from another window",
    ja: "別のウィンドウからサインインしました",
    zh: "您已在另一个窗口登录",
  },
  shuttingDown: {
    ko: "서버 점검 중입니다. 곧 다시 연결합니다",
    en: "The server is restarting. Reconnecting soon",
    ja: "サーバーを再起動しています。まもなく再接続します",
    zh: "服务器正在重启，即将重新连接",
  },
  protocolError: {
    ko: "앱 오류로 연결이 끊겼습니다. 페이지를 새로 고치세요",
    en: "The app made an error and was disconnected. Please reload the page",
    ja: "アプリのエラーで切断されました。ページを再読み込みしてください",
    zh: "应用出错，连接已断开。请刷新页面",
  },
  policy: {
    ko: "메시지를 너무 많이 보내 연결이 끊겼습니다",
    en: "Disconnected for sending too many messages",
    ja: "メッセージの送りすぎで切断されました",
    zh: "因发送消息过多而断开连接",
  },
  tooBig: {
    ko: "너무 큰 메시지를 보내 연결이 끊겼습니다",
    en: "Disconnected for sending a message that was too large",
    ja: "大きすぎるメッセージを送ったため切断されました",
    zh: "因发送的消息过大而断开连接",
  },
  serverError: {
    ko: "서버 오류가 발생했습니다. 다시 연결합니다",
    en: "The server had an error. Reconnecting",
    ja: "サーバーでエラーが発生しました。再接続します",
    zh: "服务器出错，正在重新连接",
  },
  slow: {
    ko: "연결이 느려 끊겼습니다. 다시 연결합니다",
    en: "The connection was too slow. Reconnecting",
    ja: "接続が遅いため切断されました。再接続します",
    zh: "连接过慢已断开，正在重新连接",
  },
  refused: { ko: "접속이 거부되었습니다", en: "Connection refused", ja: "接続が拒否されました", zh: "连接被拒绝" },
  whereYouAre: { ko: "현재 위치", en: "Where you are", ja: "現在地", zh: "您的位置" },
  whoIsNear: { ko: "근처에 있는 사람", en: "Who is near", ja: "近くにいる人", zh: "附近的人" },
  nobodyNear: { ko: "근처에 아무도 없습니다", en: "Nobody is near", ja: "近くに誰もいません", zh: "附近没有人" },
  services: { ko: "서비스", en: "Services", ja: "サービス", zh: "服务" },
  goTo: { ko: "이동", en: "Go", ja: "移動", zh: "前往" },
  metresAway: { ko: "{n}m 거리", en: "{n} m away", ja: "{n}m先", zh: "{n}米外" },
  you: { ko: "나", en: "you", ja: "自分", zh: "我" },
  room: { ko: "{n}번 방", en: "room {n}", ja: "{n}番ルーム", zh: "{n}号房间" },
  enteredZone: {
    ko: "{zone}에 왔습니다",
    en: "You are now in {zone}",
    ja: "{zone}に来ました",
    zh: "您已来到{zone}",
  },
  travelRefused: {
    ko: "그곳으로 갈 수 없습니다: {reason}",
    en: "You cannot go there now: {reason}",
    ja: "そこへは移動できません: {reason}",
    zh: "现在无法前往：{reason}",
  },
  chat: { ko: "채팅", en: "Chat", ja: "チャット", zh: "聊天" },
  chatMessage: { ko: "메시지", en: "Message", ja: "メッセージ", zh: "消息" },
  chatTo: { ko: "받는 사람", en: "Send to", ja: "送信先", zh: "发送给" },
  channelNear: { ko: "근처 사람", en: "People near", ja: "近くの人", zh: "附近的人" },
  channelZone: { ko: "이 구역 모두", en: "Everyone in this zone", ja: "このエリアの全員", zh: "本区域所有人" },
  send: { ko: "보내기", en: "Send", ja: "送信", zh: "发送" },
  hideChat: { ko: "채팅 접기", en: "Hide chat", ja: "チャットを閉じる", zh: "收起聊天" },
  showChat: { ko: "채팅 펼치기", en: "Show chat", ja: "チャットを開く", zh: "展开聊天" },
  tagDirect: { ko: "귓속말", en: "direct", ja: "個別", zh: "私信" },
  tagZone: { ko: "전체", en: "to all", ja: "全体", zh: "全体" },
  block: { ko: "차단", en: "Block", ja: "ブロック", zh: "屏蔽" },
  blockName: { ko: "{name} 님 차단", en: "Block {name}", ja: "{name}さんをブロック", zh: "屏蔽{name}" },
  report: { ko: "신고", en: "Report", ja: "通報", zh: "举报" },
  reportName: { ko: "{name} 님 신고", en: "Report {name}", ja: "{name}さんを通報", zh: "举报{name}" },
  reportReason: {
    ko: "{name} 님을 신고하는 이유",
    en: "Why are you reporting {name}?",
    ja: "{name}さんを通報する理由",
    zh: "举报{name}的理由",
  },
  sendReport: { ko: "신고 보내기", en: "Send report", ja: "通報を送信", zh: "提交举报" },
  cancel: { ko: "취소", en: "Cancel", ja: "キャンセル", zh: "取消" },
  blocked: {
    ko: "{name} 님을 차단했습니다. 이제 이 분의 메시지가 보이지 않습니다",
    en: "You blocked {name}. You will no longer see their messages",
    ja: "{name}さんをブロックしました。今後このかたのメッセージは表示されません",
    zh: "您已屏蔽{name}，将不再看到其消息",
  },
  reported: {
    ko: "{name} 님을 신고했습니다. 운영자가 확인합니다",
    en: "You reported {name}. A moderator will look into it",
    ja: "{name}さんを通報しました。運営者が確認します",
    zh: "您已举报{name}，管理员将会处理",
  },
  chatRefused: {
    ko: "메시지를 보내지 못했습니다: {reason}",
    en: "Your message was not sent: {reason}",
    ja: "メッセージを送信できませんでした: {reason}",
    zh: "消息未发送：{reason}",
  },
  requestFailed: {
    ko: "요청을 처리하지 못했습니다: {reason}",
    en: "That did not work: {reason}",
    ja: "処理できませんでした: {reason}",
    zh: "操作未完成：{reason}",
  },
  touchHelp: {
    ko: "이동: 왼쪽 아래 조이스틱, 보기: 화면 드래그",
    en: "Move: the joystick at the bottom left; look: drag the screen",
    ja: "移動: 左下のジョイスティック、視点: 画面をドラッグ",
    zh: "移动：左下角的摇杆；视角：拖动屏幕",
  },
  moveHelp: {
    ko: "이동: W A S D 또는 방향키, 보기: 마우스 드래그",
    en: "Move: W A S D or arrow keys; look: drag the mouse",
    ja: "移動: W A S D または矢印キー、視点: マウスをドラッグ",
    zh: "移动：W A S D 或方向键；视角：拖动鼠标",
  },
};

/**
 * The text for ``key`` in ``locale``, with ``{name}`` placeholders filled from ``values``.
 * @param {string} locale
 * @param {string} key
 * @param {Record<string, string|number>} [values]
 */
export function t(locale, key, values = {}) {
  const entry = STRINGS[key];
  let text = entry ? (entry[locale] ?? entry.ko) : key;
  for (const [name, value] of Object.entries(values)) text = text.replaceAll(`{${name}}`, String(value));
  return text;
}

/** The best supported locale for the browser's languages (Korean when none match). */
export function guessLocale(languages = globalThis.navigator?.languages ?? []) {
  for (const language of languages) {
    const code = String(language).toLowerCase().split(/[-_]/)[0];
    if (LOCALES.includes(code)) return code;
  }
  return "ko";
}

/** Every key, for the completeness test. */
export const KEYS = Object.keys(STRINGS);

/** The raw table, for the completeness test. */
export const TABLE = STRINGS;
