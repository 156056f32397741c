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
  // The zones' services: Seoul Plaza's notice board, City Hall, the Tourism District.
  noticeBoard: { ko: "알림판", en: "Notice board", ja: "掲示板", zh: "公告板" },
  notices: { ko: "알림", en: "Notices", ja: "お知らせ", zh: "公告" },
  noNotices: { ko: "게시된 알림이 없습니다", en: "No notices", ja: "お知らせはありません", zh: "暂无公告" },
  postedAt: { ko: "{time} 게시", en: "Posted {time}", ja: "{time} 掲示", zh: "发布于 {time}" },
  postNotice: { ko: "알림 올리기", en: "Post a notice", ja: "お知らせを掲示", zh: "发布公告" },
  fieldTitle: { ko: "제목", en: "Title", ja: "タイトル", zh: "标题" },
  fieldText: { ko: "내용", en: "Text", ja: "本文", zh: "内容" },
  post: { ko: "올리기", en: "Post", ja: "掲示する", zh: "发布" },
  noticePosted: {
    ko: "알림을 올렸습니다",
    en: "The notice is on the board",
    ja: "お知らせを掲示しました",
    zh: "公告已发布",
  },
  noticeTooLong: {
    ko: "알림이 너무 깁니다. 줄여서 올려 주세요",
    en: "The notice is too long to post here; please shorten it",
    ja: "お知らせが長すぎます。短くしてください",
    zh: "公告太长，请缩短后再发布",
  },
  mayorsOffice: { ko: "시장실", en: "Mayor's office", ja: "市長室", zh: "市长办公室" },
  citizenOnly: {
    ko: "제안과 투표는 시민으로 로그인해야 할 수 있습니다",
    en: "Voting and proposals need a citizen sign-in",
    ja: "提案と投票には市民としてのサインインが必要です",
    zh: "提案和投票需要以市民身份登录",
  },
  proposals: { ko: "시민 제안", en: "Proposals", ja: "市民の提案", zh: "市民提案" },
  noProposals: { ko: "아직 제안이 없습니다", en: "No proposals yet", ja: "まだ提案はありません", zh: "暂无提案" },
  proposalBy: { ko: "{name} 님 제안", en: "by {name}", ja: "{name}さんの提案", zh: "{name}的提案" },
  stateSubmitted: { ko: "접수됨", en: "submitted", ja: "受付済み", zh: "已提交" },
  stateUnderReview: { ko: "검토 중", en: "under review", ja: "検討中", zh: "审核中" },
  stateAnswered: { ko: "답변 완료", en: "answered", ja: "回答済み", zh: "已答复" },
  stateRejected: { ko: "반려됨", en: "not adopted", ja: "不採用", zh: "未采纳" },
  officialAnswer: { ko: "시의 답변:", en: "The city's answer:", ja: "市の回答:", zh: "市政府答复：" },
  newProposal: { ko: "제안하기", en: "Make a proposal", ja: "提案する", zh: "提出建议" },
  fieldProposal: { ko: "제안 내용", en: "Your proposal", ja: "提案の内容", zh: "提案内容" },
  submitProposal: { ko: "제안 보내기", en: "Submit proposal", ja: "提案を送信", zh: "提交提案" },
  proposalSubmitted: {
    ko: "제안을 접수했습니다. 감사합니다",
    en: "Your proposal was submitted. Thank you",
    ja: "提案を受け付けました。ありがとうございます",
    zh: "您的提案已提交，谢谢",
  },
  polls: { ko: "투표", en: "Polls", ja: "投票", zh: "投票" },
  noPolls: { ko: "진행 중인 투표가 없습니다", en: "No open polls", ja: "実施中の投票はありません", zh: "暂无进行中的投票" },
  vote: { ko: "투표", en: "Vote", ja: "投票", zh: "投票" },
  voteFor: { ko: "{option}에 투표", en: "Vote for {option}", ja: "{option}に投票", zh: "投给{option}" },
  votesCount: { ko: "{n}표", en: "{n} votes", ja: "{n}票", zh: "{n}票" },
  votesCountOne: { ko: "{n}표", en: "{n} vote", ja: "{n}票", zh: "{n}票" },
  totalVotes: { ko: "모두 {n}표", en: "{n} votes in all", ja: "合計{n}票", zh: "共{n}票" },
  totalVotesOne: { ko: "모두 {n}표", en: "{n} vote in all", ja: "合計{n}票", zh: "共{n}票" },
  closesAt: { ko: "{time} 마감", en: "closes {time}", ja: "{time}締切", zh: "{time}截止" },
  yourVote: { ko: "내 투표", en: "your vote", ja: "あなたの票", zh: "您的投票" },
  votedFor: {
    ko: "{option}에 투표했습니다",
    en: "You voted for {option}",
    ja: "{option}に投票しました",
    zh: "您投给了{option}",
  },
  refusedAlreadyVoted: {
    ko: "이 투표에는 이미 참여하셨습니다",
    en: "You have already voted in this poll",
    ja: "この投票にはすでに投票しています",
    zh: "您已参加过此投票",
  },
  refusedCitizenOnly: {
    ko: "시민으로 로그인해야 할 수 있습니다",
    en: "Please sign in as a citizen to do this",
    ja: "市民としてサインインする必要があります",
    zh: "请以市民身份登录后再试",
  },
  refusedDailyLimit: {
    ko: "제안은 하루 3건까지입니다. 감사합니다, 내일 다시 보내 주세요",
    en: "At most 3 proposals a day; thank you, please try again tomorrow",
    ja: "提案は1日3件までです。ありがとうございます、また明日お送りください",
    zh: "每天最多提交3条提案，谢谢，请明天再试",
  },
  refusedPollClosed: { ko: "마감된 투표입니다", en: "This poll is closed", ja: "この投票は締め切られました", zh: "此投票已结束" },
  refusedStaffOnly: {
    ko: "알림은 직원만 올릴 수 있습니다",
    en: "Only staff can post notices",
    ja: "お知らせを掲示できるのは職員だけです",
    zh: "只有工作人员可以发布公告",
  },
  refusedWalkToStop: {
    ko: "먼저 버스 정류장으로 가세요",
    en: "Walk to a bus stop first",
    ja: "まずバス停まで歩いてください",
    zh: "请先走到公交站",
  },
  refusedBusElsewhere: {
    ko: "버스가 이 정류장에 있지 않습니다",
    en: "The bus is not at this stop",
    ja: "バスはこの停留所にいません",
    zh: "巴士不在这一站",
  },
  refusedOnBus: { ko: "이미 버스에 타고 있습니다", en: "You are already on the bus", ja: "すでにバスに乗っています", zh: "您已在巴士上" },
  refusedBusFull: { ko: "버스가 만석입니다", en: "The bus is full", ja: "バスは満席です", zh: "巴士已满" },
  refusedTourFull: { ko: "투어 인원이 다 찼습니다", en: "The tour is full", ja: "ツアーは満員です", zh: "导览团已满" },
  tourismDistrict: { ko: "관광 안내", en: "Tourist information", ja: "観光案内", zh: "旅游信息" },
  here: { ko: "지금 있는 곳", en: "Here", ja: "ここは", zh: "此处" },
  notAtLandmark: {
    ko: "명소 안에 있지 않습니다",
    en: "You are not at a landmark",
    ja: "名所の中にはいません",
    zh: "您不在景点内",
  },
  stampTour: { ko: "스탬프 투어", en: "Stamp tour", ja: "スタンプラリー", zh: "集章之旅" },
  stampsProgress: { ko: "스탬프 {n} / {total}", en: "Stamps: {n} / {total}", ja: "スタンプ {n} / {total}", zh: "印章 {n} / {total}" },
  stampsDone: {
    ko: "스탬프 {n} / {total} — 완주! 배지 {badge}",
    en: "Stamps: {n} / {total} — complete! Badge {badge}",
    ja: "スタンプ {n} / {total} — 達成！バッジ {badge}",
    zh: "印章 {n} / {total} — 完成！徽章 {badge}",
  },
  stamped: { ko: "스탬프 받음", en: "stamp collected", ja: "スタンプ済み", zh: "已盖章" },
  stampCollected: {
    ko: "{place} 스탬프를 받았습니다 ({n} / {total})",
    en: "You collected the {place} stamp ({n} / {total})",
    ja: "{place}のスタンプを押しました（{n} / {total}）",
    zh: "您集到了{place}的印章（{n} / {total}）",
  },
  stampComplete: {
    ko: "스탬프 투어를 완주했습니다! 이름표에 배지 {badge}가 붙습니다",
    en: "Stamp tour complete! Your name tag now shows {badge}",
    ja: "スタンプラリー達成！名札にバッジ {badge} が付きます",
    zh: "集章之旅完成！您的名牌将显示徽章 {badge}",
  },
  tourBus: { ko: "시티투어 버스", en: "City tour bus", ja: "シティツアーバス", zh: "城市观光巴士" },
  busWaiting: {
    ko: "버스 소식을 기다리는 중…",
    en: "Waiting for news of the bus…",
    ja: "バスの情報を待っています…",
    zh: "正在等待巴士信息…",
  },
  busAt: {
    ko: "{stop}에 정차 중, {until}까지",
    en: "At {stop} until {until}",
    ja: "{stop}に停車中、{until}まで",
    zh: "停靠在{stop}，直到{until}",
  },
  busTo: {
    ko: "{stop}(으)로 가는 중, {seconds}초 뒤 도착",
    en: "To {stop}, arriving in {seconds} s",
    ja: "{stop}へ向かっています、{seconds}秒後に到着",
    zh: "开往{stop}，{seconds}秒后到达",
  },
  onTheBus: { ko: "버스에 타고 있습니다", en: "You are on the bus", ja: "バスに乗っています", zh: "您在巴士上" },
  boardBus: { ko: "버스 타기", en: "Board the bus", ja: "バスに乗る", zh: "上车" },
  busBoarded: {
    ko: "버스에 탔습니다. 다음 정류장: {stop}",
    en: "You are on the bus. Next stop: {stop}",
    ja: "バスに乗りました。次の停留所: {stop}",
    zh: "您已上车。下一站：{stop}",
  },
  busAlighted: { ko: "{stop}에서 내렸습니다", en: "You got off at {stop}", ja: "{stop}で降りました", zh: "您在{stop}下车了" },
  guidedTours: { ko: "가이드 투어", en: "Guided tours", ja: "ガイドツアー", zh: "导览团" },
  noTours: { ko: "지금 진행 중인 투어가 없습니다", en: "No tours right now", ja: "実施中のツアーはありません", zh: "目前没有导览团" },
  tourLine: {
    ko: "{title} — 가이드 {name}, {n}명 참가",
    en: "{title} — guide {name}, {n} on the tour",
    ja: "{title} — ガイド {name}、{n}人参加",
    zh: "{title} — 导游 {name}，{n}人参加",
  },
  joinTour: { ko: "참가", en: "Join", ja: "参加", zh: "加入" },
  joinTourNamed: { ko: "{title} 투어 참가", en: "Join the tour {title}", ja: "ツアー「{title}」に参加", zh: "加入导览团{title}" },
  leaveTour: { ko: "나가기", en: "Leave", ja: "抜ける", zh: "离开" },
  leaveTourNamed: { ko: "{title} 투어에서 나가기", en: "Leave the tour {title}", ja: "ツアー「{title}」を抜ける", zh: "离开导览团{title}" },
  onTour: { ko: "{title} 투어에 참가 중입니다", en: "You are on the tour {title}", ja: "ツアー「{title}」に参加中です", zh: "您正在参加导览团{title}" },
  goToGuide: { ko: "가이드에게 가기", en: "Go to guide", ja: "ガイドのところへ", zh: "前往导游身边" },
  tourJoined: { ko: "{title} 투어에 참가했습니다", en: "You joined the tour {title}", ja: "ツアー「{title}」に参加しました", zh: "您已加入导览团{title}" },
  tourLeft: { ko: "투어에서 나왔습니다", en: "You left the tour", ja: "ツアーを抜けました", zh: "您已离开导览团" },
  tourStarted: {
    ko: "{name} 님의 투어 「{title}」이 시작되었습니다",
    en: "{name} started the tour {title}",
    ja: "{name}さんのツアー「{title}」が始まりました",
    zh: "{name}的导览团「{title}」开始了",
  },
  tourEnded: { ko: "투어 「{title}」이 끝났습니다", en: "The tour {title} has ended", ja: "ツアー「{title}」が終わりました", zh: "导览团「{title}」已结束" },
  tourTitle: { ko: "투어 제목", en: "Tour title", ja: "ツアー名", zh: "导览标题" },
  startTour: { ko: "투어 시작", en: "Start tour", ja: "ツアー開始", zh: "开始导览" },
  leadingTour: {
    ko: "투어 「{title}」 진행 중, {n}명 참가",
    en: "You are leading {title}; {n} on the tour",
    ja: "ツアー「{title}」を案内中、{n}人参加",
    zh: "您正在带领{title}，{n}人参加",
  },
  narration: { ko: "안내 말", en: "Narration", ja: "案内の言葉", zh: "讲解内容" },
  narrate: { ko: "안내하기", en: "Narrate", ja: "案内する", zh: "讲解" },
  endTour: { ko: "투어 끝내기", en: "End tour", ja: "ツアー終了", zh: "结束导览" },
  tagTour: { ko: "투어", en: "tour", ja: "ツアー", zh: "导览" },
  hidePanel: { ko: "접기", en: "Hide", ja: "閉じる", zh: "收起" },
  showPanel: { ko: "펼치기", en: "Show", ja: "開く", zh: "展开" },
  hidePanelNamed: { ko: "{name} 접기", en: "Hide {name}", ja: "{name}を閉じる", zh: "收起{name}" },
  showPanelNamed: { ko: "{name} 펼치기", en: "Show {name}", ja: "{name}を開く", zh: "展开{name}" },
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
