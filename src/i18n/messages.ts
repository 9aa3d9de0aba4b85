/**
 * The one message catalogue (issue 14, "Speaking the users' language"): every sentence a client or
 * an operator reads, in zh-CN (the staff's language, the default) and English, keyed by a stable
 * key. Error codes and issue codes stay the contract; these sentences may change.
 *
 * Templates name their parameters as `{name}`; `render` fills them. Parameters are codes, counts,
 * field names and settings, never personal data (RULES.md §6): a message is logged.
 */
import type { ErrorCode } from '../errors.ts';
import type { Locale } from './locale.ts';

export const MESSAGES = {
  // --- the generic sentence of each error code: the lead of an error that has no key yet ---
  error_validation_failed: { 'zh-CN': '请求无效', en: 'invalid request' },
  error_invalid_file: { 'zh-CN': '文件无效', en: 'invalid file' },
  error_unauthorized: { 'zh-CN': '未通过身份验证', en: 'not authenticated' },
  error_forbidden: { 'zh-CN': '无权执行此操作', en: 'not allowed' },
  error_not_found: { 'zh-CN': '找不到所请求的对象', en: 'not found' },
  error_conflict: { 'zh-CN': '与当前状态冲突', en: 'conflicts with the current state' },
  error_idempotency_mismatch: { 'zh-CN': '同一 Idempotency-Key 的请求内容不同', en: 'the same Idempotency-Key with another request body' },
  error_payload_too_large: { 'zh-CN': '请求内容过大', en: 'request too large' },
  error_unsupported_media_type: { 'zh-CN': '不支持的内容类型', en: 'unsupported content type' },
  error_too_many_requests: { 'zh-CN': '请求过于频繁', en: 'too many requests' },
  error_internal: { 'zh-CN': '内部错误', en: 'internal error' },
  /** A field issue that has no key yet. */
  issue_generic: { 'zh-CN': '不符合要求', en: 'invalid' },

  // --- errors (AppError keys) ---
  invalid_request: { 'zh-CN': '请求无效：{summary}', en: 'invalid request: {summary}' },
  internal_error: { 'zh-CN': '内部错误；报告问题时请附上请求编号（requestId）', en: 'internal error; quote the request id when reporting it' },
  no_route: { 'zh-CN': '没有这个接口：{method} {path}', en: 'no route {method} {path}' },
  token_required: { 'zh-CN': '需要有效的 API 令牌：Authorization: Bearer TOKEN', en: 'a valid API token is required: Authorization: Bearer TOKEN' },
  role_forbidden: { 'zh-CN': '角色 {role} 不能执行此操作（需要 {permission} 权限）', en: 'the role {role} may not do this (needs {permission})' },
  too_many_token_failures: {
    'zh-CN': '此客户端令牌验证失败次数过多；请 {seconds} 秒后再试',
    en: 'too many failed token attempts from this client; try again in {seconds} s',
  },
  body_too_large: { 'zh-CN': '请求体超过 {bytes} 字节（{setting}）', en: 'the request body is larger than {bytes} bytes ({setting})' },
  upload_too_large: { 'zh-CN': '上传文件超过 {bytes} 字节（MAX_IMPORT_BYTES）', en: 'the upload is larger than {bytes} bytes (MAX_IMPORT_BYTES)' },
  upload_field_too_large: { 'zh-CN': '上传无效：{field} 超过 {bytes} 字节', en: 'invalid upload: {field}: longer than {bytes} bytes' },
  upload_unsupported_type: {
    'zh-CN': '请以 text/csv 或 multipart/form-data 的 file 字段发送名册',
    en: 'send the registry as text/csv or as the file field of multipart/form-data',
  },
  invalid_upload: { 'zh-CN': '上传无效：{summary}', en: 'invalid upload: {summary}' },
  submission_not_found: { 'zh-CN': '没有这个编号的报送', en: 'no submission with this id' },
  screening_run_not_found: { 'zh-CN': '没有这个编号的筛查', en: 'no screening run with this id' },
  screening_in_progress: {
    'zh-CN': '已有筛查正在进行；请在其结束后再试（进程停止的筛查会在最后一次心跳 {leaseSeconds} 秒后被接管）',
    en: 'a screening run is already in progress; try again when it has finished (a run whose process stopped is taken over {leaseSeconds} s after its last heartbeat)',
  },
  queued_import_upload_missing: {
    'zh-CN': '排队的导入找不到上传的文件，没有导入任何内容；请重新上传',
    en: 'the upload of this queued import is gone; nothing was imported: upload the file again',
  },
  queued_import_not_started: {
    'zh-CN': '排队的导入在 {hours} 小时内没有开始，没有导入任何内容；请重新上传',
    en: 'this queued import did not start within {hours} hours; nothing was imported: upload the file again',
  },
  lease_lost: {
    'zh-CN': '该任务的心跳停止后已被另一个进程接管；本次未保存任何内容',
    en: 'the {what} was taken over by another process after its heartbeat stopped; it stored nothing',
  },
  conversation_not_found: { 'zh-CN': '没有这个编号的会话', en: 'no conversation with this id' },
  conversation_closed: { 'zh-CN': '该会话已关闭', en: 'the conversation is closed' },
  inbox_item_not_found: { 'zh-CN': '收件箱中没有这个编号的回复', en: 'no inbox reply with this id' },
  inbox_item_resolved: { 'zh-CN': '这条回复已经处理过', en: 'the reply has already been resolved' },
  inbox_no_open_conversation: { 'zh-CN': '该驾驶人没有进行中的会话', en: 'the driver has no open conversation' },
  exam_not_found: { 'zh-CN': '没有这个编号的体检', en: 'no exam with this id' },
  examiner_own_exams: { 'zh-CN': '体检医生只能查看自己班次的体检', en: 'an examiner sees only the exams of their own shifts' },
  follow_up_not_found: { 'zh-CN': '该业务没有未结的随访', en: 'no open follow-up for this case' },
  follow_up_closed: { 'zh-CN': '该随访已在此期间关闭', en: 'the follow-up was closed meanwhile' },
  import_not_found: { 'zh-CN': '没有这个编号的导入', en: 'no import with this id' },
  licence_not_found: { 'zh-CN': '没有这个档案编号的驾驶证', en: 'no licence with this file number' },
  shift_not_found: { 'zh-CN': '没有这个编号的班次', en: 'no shift with this id' },
  examiner_own_sheets: { 'zh-CN': '体检医生只能查看自己班次的路线单', en: 'an examiner sees only the route sheets of their own shifts' },
  simulate_masked_phone: {
    'zh-CN': 'phone：打码的号码不能回复；请给出完整号码，或使用 --file-number / --case',
    en: 'phone: a masked number cannot answer; give the full number, or --file-number / --case',
  },
  simulate_unknown_phone: { 'zh-CN': 'phone：没有驾驶证或会话使用这个号码', en: 'phone: no licence and no conversation has this number' },
  simulate_unknown_case: { 'zh-CN': 'case：没有这个编号的业务', en: 'case: no case with this id' },
  simulate_unknown_file_number: { 'zh-CN': 'fileNumber：没有这个档案编号的驾驶证', en: 'fileNumber: no licence with this file number' },
  twilio_signature: { 'zh-CN': 'X-Twilio-Signature 缺失或与本请求不符', en: 'X-Twilio-Signature is missing or does not match this request' },
  twilio_account: { 'zh-CN': 'AccountSid 不是本服务的 Twilio 账户', en: "AccountSid is not this service's Twilio account" },

  // --- staff accounts, passwords and sign-in (src/staff, issue 15) ---
  password_too_short: { 'zh-CN': '密码至少需要 10 个字符', en: 'the password needs at least 10 characters' },
  password_too_long: { 'zh-CN': '密码最多 256 个字符', en: 'the password has at most 256 characters' },
  password_is_username: { 'zh-CN': '密码不能与用户名相同', en: 'the password must not be the username' },
  password_unchanged: { 'zh-CN': '新密码必须与当前密码不同', en: 'the new password must differ from the current one' },
  password_wrong: { 'zh-CN': '当前密码不正确', en: 'the current password is not correct' },
  account_locked: {
    'zh-CN': '连续输错密码次数过多，账户已临时锁定；请稍后再试，或联系管理员',
    en: 'too many wrong passwords in a row: the account is locked for a while; try again later, or ask an administrator',
  },
  password_not_set: { 'zh-CN': '该账户没有密码；请管理员设置', en: 'this account has no password; an administrator sets one' },
  password_needs_username: { 'zh-CN': '设置密码需要同时给出用户名', en: 'a password needs a username' },
  username_shape: {
    'zh-CN': '用户名为 2-40 个字符：英文字母、数字和 . _ -，以字母或数字开头',
    en: 'a username has 2-40 characters: letters, digits and . _ -, starting with a letter or digit',
  },
  username_taken: { 'zh-CN': '该用户名已被使用', en: 'this username is taken' },
  unknown_username: { 'zh-CN': '没有使用这个用户名的账户', en: 'no account has this username' },
  staff_inactive: { 'zh-CN': '该账户已停用', en: 'the account is deactivated' },
  cannot_deactivate_self: { 'zh-CN': '不能停用自己的账户', en: 'you cannot deactivate your own account' },

  // --- scheduling: visits, shifts, plans (src/scheduling) ---
  visit_not_found: { 'zh-CN': '没有这个编号的预约', en: 'no visit with this id' },
  visit_does_not_fit: { 'zh-CN': '该预约排不进这个班次（班次时间，或已告知驾驶人的时间窗）', en: 'the visit does not fit into the shift (its hours, or windows already told to drivers)' },
  visit_changed_meanwhile: { 'zh-CN': '该预约在此期间已有变化；请重新加载后再试', en: 'the visit changed meanwhile; reload it and try again' },
  examiner_own_visits_record: { 'zh-CN': '体检医生只能为自己班次的预约记录结果', en: 'an examiner records only the visits of their own shifts' },
  examiner_own_visits_update: { 'zh-CN': '体检医生只能更新自己班次的预约', en: 'an examiner updates only the visits of their own shifts' },
  crew_own_stops: { 'zh-CN': '邮递员和体检医生只能查看自己班次的上门点', en: 'a postal worker or an examiner sees only the stops of their own shifts' },
  postal_own_visits: { 'zh-CN': '投递员只能处理自己班次的预约', en: 'a postal worker acts only on the visits of their own shifts' },
  authorisation_not_found: { 'zh-CN': '该预约没有有效的委托书', en: 'this visit has no authorisation on record' },
  authorisation_exists: { 'zh-CN': '该预约已有委托书；如需更正，请管理员先撤回', en: 'this visit has an authorisation already; an administrator withdraws it first to correct it' },
  authorisation_visit_not_at_door: { 'zh-CN': '只能在上门当天、到达后记录委托书（当前状态：{state}）', en: 'an authorisation is recorded on the visit day once the crew has arrived (now: {state})' },
  authorisation_visit_day: { 'zh-CN': '委托书只能在预约当天（{date}）记录', en: 'an authorisation is recorded on the day of the visit ({date})' },
  authorisation_own_shift: { 'zh-CN': '只有该班次的投递员或管理员可以处理委托书', en: 'only the postal worker of the shift or an administrator handles its authorisation' },
  authorisation_photo_type: { 'zh-CN': '照片内容不是所声明的 {type} 图片', en: 'the photo is not a {type} image' },
  authorisation_signer_required: { 'zh-CN': '请填写签字人姓名', en: 'the signer’s name is required' },
  authorisation_signer_too_long: { 'zh-CN': '签字人姓名最多 {max} 个字符', en: 'the signer’s name has at most {max} characters' },
  authorisation_signer_invalid: { 'zh-CN': '签字人姓名含有不可见字符', en: 'the signer’s name contains invisible characters' },
  authorisation_relation_invalid: { 'zh-CN': '与驾驶人的关系须为 {allowed} 之一', en: 'the relation to the driver is one of {allowed}' },
  authorisation_photo_required: { 'zh-CN': '请附上签字委托书的照片', en: 'a photo of the signed form is required' },
  authorisation_photo_format: { 'zh-CN': '照片须为 JPEG、PNG 或 WebP', en: 'the photo must be JPEG, PNG or WebP' },
  authorisation_photo_size: { 'zh-CN': '照片不能超过 {bytes} 字节', en: 'the photo may be at most {bytes} bytes' },
  authorisation_body: { 'zh-CN': '请求须为 multipart/form-data（signerName、relation、photo）', en: 'the body must be multipart/form-data (signerName, relation, photo)' },
  idempotency_key_invalid: { 'zh-CN': 'Idempotency-Key 须为 1 到 100 个可见 ASCII 字符', en: 'Idempotency-Key must be 1 to 100 visible ASCII characters' },
  idempotency_mismatch: { 'zh-CN': '该 Idempotency-Key 已用于另一个请求内容', en: 'this Idempotency-Key was used with another request body' },
  visit_exam_before_day: { 'zh-CN': '该预约在 {date}：体检在当天或之后记录', en: 'the visit is on {date}: its exam is recorded on or after that day' },
  visit_no_show_before_day: { 'zh-CN': '该预约在 {date}：未到场在当天或之后记录', en: 'the visit is on {date}: a no-show is recorded on or after that day' },
  visit_crew_on_day: { 'zh-CN': '该预约在 {date}：工作人员只能在当天出发和到达', en: 'the visit is on {date}: the crew sets out and arrives on that day' },
  visit_done_needs_exam: { 'zh-CN': '没有体检的预约不能标记为完成', en: 'a visit is not marked done without an exam' },
  shift_is_cancelled: { 'zh-CN': '该班次已取消', en: 'the shift is cancelled' },
  shift_other_date: { 'zh-CN': '必须是 {date}（该预约的日期）的班次', en: "must be a shift on {date}, the visit's date" },
  shift_already_cancelled: { 'zh-CN': '该班次已经取消', en: 'the shift is already cancelled' },
  shift_has_told_visits: {
    'zh-CN': '该班次已有 {visits} 个预约通知了驾驶人，时间和地点不能再改；如需调整，请取消该班次（驾驶人会收到取消短信）再新建',
    en: 'the shift has {visits} visits its drivers were told of: its hours and places stay; cancel it (the drivers are told) and create another',
  },
  shift_past_no_edit: { 'zh-CN': '该班次的日期已过，不能再修改', en: 'the shift is in the past: it can no longer be changed' },
  shift_changed_meanwhile: { 'zh-CN': '该班次在此期间已有变化（预约已提交或班次已取消）；请重新加载后再试', en: 'the shift changed meanwhile (visits booked or the shift cancelled); reload it and try again' },
  crew_own_sheets: { 'zh-CN': '只能查看自己所在班次的路线单', en: 'only the route sheets of your own shifts' },
  shifts_date_or_range: { 'zh-CN': '请给出 date，或者 from 和 to，不要同时给出', en: 'give date, or from and to, not both' },
  staff_already_linked: { 'zh-CN': 'staffId：该账户已关联到其他人', en: 'staffId: this account is already linked to someone' },
  phone_mobile_or_landline: { 'zh-CN': '必须是手机号或固定电话号码', en: 'must be a mobile or landline number' },
  unknown_staff: { 'zh-CN': '没有这个编号的工作人员账户', en: 'no staff account with this id' },
  examiner_account_only: { 'zh-CN': '体检医生只能关联体检医生账户', en: 'an examiner links to an examiner account' },
  unknown_field_staff: { 'zh-CN': '没有这个编号的邮递员或体检医生', en: 'no postal worker or examiner with this id' },
  must_be_postal_worker: { 'zh-CN': '必须是邮递员', en: 'must be a postal worker' },
  must_be_medical_examiner: { 'zh-CN': '必须是体检医生', en: 'must be a medical examiner' },
  no_longer_active: { 'zh-CN': '已停用', en: 'is no longer active' },
  later_than_starts_at: { 'zh-CN': '必须晚于 startsAt', en: 'must be later than startsAt' },
  today_or_later: { 'zh-CN': '必须是今天或以后', en: 'must be today or later' },
  incomplete_area: { 'zh-CN': '圆形区域需要同时给出 center 和 radiusKm', en: 'a circle needs both center and radiusKm' },
  range_after_from: { 'zh-CN': '必须不早于 from，且最多晚 {days} 天', en: 'must be on or after from, at most {days} days later' },
  no_open_shift: { 'zh-CN': '{date} 没有开放的班次：请先创建班次', en: 'no open shift on {date}: create shifts first' },
  nothing_to_commit: { 'zh-CN': '{date} 没有可提交的内容：请先预览计划', en: 'nothing to commit on {date}: preview a plan first' },
  /** A racing writer made the change fail: `what` is one of the `what_` sentences. */
  conflict_shift_full: { 'zh-CN': '{what}：班次将超出容量', en: '{what}: a shift would be over its capacity' },
  conflict_shift_overlap: { 'zh-CN': '{what}：有工作人员将同时在两个时间重叠的班次中', en: '{what}: a crew member would be in two overlapping shifts' },
  conflict_shift_closed: { 'zh-CN': '{what}：该班次已取消', en: '{what}: the shift is cancelled' },
  conflict_driver_taken: { 'zh-CN': '{what}：此期间已有驾驶人被安排了预约；请再试一次', en: '{what}: a driver was given a visit meanwhile; try again' },
  what_visit_not_changed: { 'zh-CN': '预约未修改', en: 'visit not changed' },
  what_visit_not_cancelled: { 'zh-CN': '预约未取消', en: 'visit not cancelled' },
  what_no_show_not_recorded: { 'zh-CN': '未到场未记录', en: 'no-show not recorded' },
  what_visit_not_set_out: { 'zh-CN': '出发未记录', en: 'visit not set out' },
  what_arrival_not_recorded: { 'zh-CN': '到达未记录', en: 'arrival not recorded' },
  what_plan_changed: { 'zh-CN': '计划在计算期间已有变化', en: 'the plan changed while it was computed' },
  what_commit: { 'zh-CN': '提交未完成', en: 'commit' },
  what_shift_not_created: { 'zh-CN': '班次未创建', en: 'shift not created' },
  what_shift_not_cancelled: { 'zh-CN': '班次未取消', en: 'shift not cancelled' },
  what_shift_not_changed: { 'zh-CN': '班次未修改', en: 'shift not changed' },

  // --- why a driver is not planned (plan-rules.ts UNPLANNED_REASONS; the reason code stays) ---
  unplanned_no_visit_needed: { 'zh-CN': '待办业务都不需要上门（只有注销通知）', en: 'the open cases need no visit (a cancellation notice only)' },
  unplanned_no_location: { 'zh-CN': '没有坐标，所在小区也没有已知坐标', en: 'no coordinates and no community with known coordinates' },
  unplanned_asked_for_later_date: { 'zh-CN': '驾驶人要求改到以后的日期', en: 'the driver asked for a later date' },
  unplanned_too_early: { 'zh-CN': '在这一天开具的证明会在业务开启前过期（RULES.md §5）', en: 'a certificate issued on this date would expire before the case opens (RULES.md §5)' },
  unplanned_lapsed: { 'zh-CN': '所有需要上门的业务在这一天都已失效', en: 'every case needing a visit has lapsed on this date' },
  unplanned_no_shift_in_area: { 'zh-CN': '这一天没有覆盖驾驶人所在小区或区域的班次', en: 'no shift on this date covers the driver’s community or area' },
  unplanned_outside_shift_hours: { 'zh-CN': '没有班次能在班次时间内、按驾驶人的上午/下午偏好到达', en: 'no shift can reach the driver inside the shift hours and the driver’s morning/afternoon preference' },
  unplanned_shifts_full: { 'zh-CN': '班次已被同等或更紧急的驾驶人排满', en: 'the shifts are full with drivers of equal or higher urgency' },
  unplanned_fixed_infeasible: { 'zh-CN': '已固定或已预约的预约不再适合其班次（时间或承诺的时间窗）：保持原样', en: 'a pinned or booked visit no longer fits its shift (hours or promised window): left as it was' },
  unplanned_day_too_short: {
    'zh-CN': '今天剩余时间太短：没有班次能在班次（或驾驶人的上午/下午）结束前从工作人员所在处到达驾驶人',
    en: 'today’s remaining time is too short: no shift can reach the driver from where its crew is before the shift (or the driver’s morning/afternoon) ends',
  },
  unplanned_window_begun: { 'zh-CN': '计划的时间窗在提交前已开始：未预约（请重新预览，把驾驶人排到今天稍后）', en: 'the planned window began before the commit: not booked (preview again to place the driver later today)' },

  // --- the visit life cycle's refusals (visit-lifecycle.ts): the event, the state, and why ---
  visit_refused: { 'zh-CN': '不能{event}：预约当前{state}；{why}', en: 'cannot {event}: the visit is {state}; {why}' },
  visit_state_planned: { 'zh-CN': '为计划草稿', en: 'planned (a draft)' },
  visit_state_booked: { 'zh-CN': '已预约', en: 'booked' },
  visit_state_confirmed: { 'zh-CN': '已由驾驶人确认', en: 'confirmed by the driver' },
  visit_state_en_route: { 'zh-CN': '在途中', en: 'en route' },
  visit_state_arrived: { 'zh-CN': '已到门口', en: 'arrived at the door' },
  visit_state_exam_recorded: { 'zh-CN': '已关闭，体检已记录', en: 'closed with its exam recorded' },
  visit_state_no_show: { 'zh-CN': '已关闭，记为未到场', en: 'closed as a no-show' },
  visit_state_cancelled: { 'zh-CN': '已取消', en: 'cancelled' },
  visit_event_book: { 'zh-CN': '预约（提交计划）', en: 'book (commit the plan)' },
  visit_event_confirm: { 'zh-CN': '确认（驾驶人回复 1）', en: 'confirm (the driver answers 1)' },
  visit_event_pin: { 'zh-CN': '固定或移到同一天的另一个班次', en: 'pin or move to another shift of its date' },
  visit_event_reschedule: { 'zh-CN': '改到另一天（驾驶人要求）', en: 'move to another date (the driver asks)' },
  visit_event_set_out: { 'zh-CN': '出发（工作人员在路上）', en: 'set out (the crew is on its way)' },
  visit_event_arrive: { 'zh-CN': '到达（工作人员到门口）', en: 'arrive (the crew is at the door)' },
  visit_event_record_exam: { 'zh-CN': '记录体检', en: 'record the exam' },
  visit_event_record_no_show: { 'zh-CN': '记录未到场', en: 'record a no-show' },
  visit_event_mark_done: { 'zh-CN': '不经体检标记完成', en: 'mark done without an exam' },
  visit_event_cancel_by_staff: { 'zh-CN': '取消（工作人员）', en: 'cancel (staff)' },
  visit_event_cancel_by_driver: { 'zh-CN': '取消（驾驶人拒绝）', en: 'cancel (the driver declines)' },
  visit_event_shift_cancelled: { 'zh-CN': '取消其班次', en: 'cancel its shift' },
  visit_event_replan: { 'zh-CN': '重新规划其日期', en: 're-plan its date' },
  refused_not_told: { 'zh-CN': '尚未告知驾驶人：请先提交计划', en: 'the driver has not been told yet: commit the plan first' },
  refused_draft_only: {
    'zh-CN': '调度员只能固定或移动草稿：要重新安排驾驶人，请取消已预约的预约',
    en: 'only a draft is pinned or moved by the dispatcher: cancel a booked visit to plan the driver again',
  },
  refused_on_the_way: { 'zh-CN': '工作人员已在途中：请在门口记录体检或未到场', en: 'the crew is on its way: record the exam or the no-show at the door' },
  refused_at_the_door: { 'zh-CN': '工作人员已到门口：请记录体检或未到场', en: 'the crew is at the door: record the exam or the no-show' },
  refused_no_done: {
    'zh-CN': '预约只有记录体检或未到场才算完成；请记录体检，或取消预约以便重新安排其业务',
    en: 'a visit is finished only by recording its exam or a no-show; record the exam, or cancel the visit so that its cases are planned again',
  },
  refused_closed_exam: { 'zh-CN': '该预约已关闭（体检已记录）', en: 'the visit is already closed (its exam is recorded)' },
  refused_closed_no_show: { 'zh-CN': '该预约已关闭（无人在家；驾驶人将被重新安排）', en: 'the visit is already closed (nobody was at the door; the driver is planned again)' },
  refused_closed_cancelled: { 'zh-CN': '该预约已关闭（已取消；驾驶人将被重新安排）', en: 'the visit is already closed (cancelled; the driver is planned again)' },
  refused_booked_already: { 'zh-CN': '该预约已经预约过了', en: 'the visit is booked already' },
  refused_confirmed_already: { 'zh-CN': '该预约已预约并已确认', en: 'the visit is booked and confirmed already' },
  refused_underway_already: { 'zh-CN': '该预约已在进行中', en: 'the visit is under way already' },
  refused_set_out_already: { 'zh-CN': '工作人员已经出发', en: 'the crew has set out already' },
  refused_arrived_already: { 'zh-CN': '工作人员已经到达', en: 'the crew has arrived already' },

  // --- exams (src/exams/record.ts) ---
  visit_closed_meanwhile: { 'zh-CN': '该预约在此期间已关闭（已记录体检，或已取消）', en: 'the visit was closed meanwhile (an exam recorded, or cancelled)' },
  certificate_number_taken: { 'zh-CN': '已有另一份体检使用这个证明编号', en: 'another exam already has this certificate number' },
  cognitive_test_required: {
    'zh-CN': '必填，pass 或 fail：该预约的某个业务需要三力测试（RULES.md §3）',
    en: 'required, pass or fail: a case of this visit needs the cognitive (three-ability) test (RULES.md §3)',
  },
  exam_on_visit_day: { 'zh-CN': '必须在预约当天 {date}（北京时间）', en: "must be on the visit's day, {date} (China time)" },
  not_before_started_at: { 'zh-CN': '不能早于 startedAt', en: 'must not be before startedAt' },
  exam_too_long: { 'zh-CN': '上门体检只需几分钟，不能超过 3 小时', en: 'an exam at the door takes minutes, not more than 3 hours' },
  not_in_future: { 'zh-CN': '不能晚于现在', en: 'must not be in the future' },
  not_before_exam: { 'zh-CN': '不能早于体检（{date}）', en: 'must not be before the exam ({date})' },

  // --- a registry file rejected as a whole (CsvFileError): the English detail names the line and what ---
  csv_not_utf8: { 'zh-CN': '第 {line} 行：文件不是有效的 UTF-8 文本；请另存为“CSV UTF-8”（Excel 默认保存为 GBK/ANSI）', en: '{detail}' },
  csv_unbalanced_quote: { 'zh-CN': '第 {line} 行：引号不成对', en: '{detail}' },
  csv_record_too_large: { 'zh-CN': '第 {line} 行：记录过长（没有闭合的引号可能导致这种情况）', en: '{detail}' },
  csv_empty_file: { 'zh-CN': '第 {line} 行：文件为空，没有表头行', en: '{detail}' },
  csv_cell_count: { 'zh-CN': '第 {line} 行：单元格数与表头的列数不同', en: '{detail}' },
  csv_missing_column: { 'zh-CN': '第 {line} 行：缺少必需的列', en: '{detail}' },
  csv_duplicate_column: { 'zh-CN': '第 {line} 行：有列出现了两次', en: '{detail}' },
  /** The same, with what the English detail names (read from it) in the zh-CN sentence. */
  csv_missing_column_named: { 'zh-CN': '第 {line} 行：缺少必需的列：{columns}', en: '{detail}' },
  csv_cell_count_of: { 'zh-CN': '第 {line} 行：该行有 {cells} 个单元格，但表头有 {width} 列', en: '{detail}' },
  csv_record_longer_than: { 'zh-CN': '第 {line} 行：记录超过 {bytes} 字节（没有闭合的引号可能导致这种情况）', en: '{detail}' },

  // --- field issues (FieldIssue keys; most are the issue's own code) ---
  unknown_parameter: { 'zh-CN': '未知参数（{where}）', en: 'unknown {where} parameter' },
  repeated_parameter: { 'zh-CN': '给出了 {count} 次；只能给一次', en: 'given {count} times; give it once' },
  invalid_cursor: { 'zh-CN': '不是此列表返回的游标', en: 'not a cursor returned by this list' },
  too_large: { 'zh-CN': '超过 {bytes} 字节', en: 'larger than {bytes} bytes' },
  field_too_large: { 'zh-CN': '每个字段最多 {bytes} 字节', en: 'a field is at most {bytes} bytes' },
  aborted: { 'zh-CN': '请求体未读完就中断了', en: 'the body ended early' },
  bad_range: { 'zh-CN': '必须不晚于 to，且相隔不超过 366 天', en: 'must be on or before to, at most 366 days apart' },
  ids_or_all: { 'zh-CN': '请给出 ids 或 all: true 之一', en: 'give either ids or all: true' },
  after_to: { 'zh-CN': '不能晚于 to', en: 'must not be after to' },
  inbox_driver_required: { 'zh-CN': '号码未知或多人共用：请给出 caseId 或 fileNumber', en: 'the number is unknown or shared: give caseId or fileNumber' },
  inbox_driver_mismatch: { 'zh-CN': 'caseId 与 fileNumber 不是同一位驾驶人', en: 'caseId and fileNumber name different drivers' },
  inbox_driver_not_on_number: { 'zh-CN': '该驾驶人不是使用这个号码的驾驶人之一', en: 'the driver is not one of those who use this number' },
  inbox_unknown_case: { 'zh-CN': '没有这个编号的业务', en: 'no case with this id' },
  inbox_unknown_file_number: { 'zh-CN': '没有这个档案编号的驾驶证', en: 'no licence with this file number' },
  unsupported_type: { 'zh-CN': '应为 text/csv 或 multipart/form-data，实际为 {type}', en: 'expected text/csv or multipart/form-data, got {type}' },
  upload_no_body: { 'zh-CN': '请求没有内容：请发送名册 CSV', en: 'the request has no body: send the registry CSV' },
  upload_unreadable: { 'zh-CN': '请求体未能读完', en: 'the request body could not be read to its end' },
  upload_unexpected_part: { 'zh-CN': '只接受一个名为 "file" 的文件部分', en: 'only one file part is accepted, named "file"' },
  upload_too_many_parts: { 'zh-CN': '部分数超过 {max}', en: 'more than {max} parts' },
  upload_too_many_files: { 'zh-CN': '文件部分多于一个', en: 'more than one file part' },
  upload_too_many_fields: { 'zh-CN': '字段数超过 {max}', en: 'more than {max} fields' },
  upload_no_file: { 'zh-CN': 'multipart 内容中没有名为 "file" 的文件部分', en: 'the multipart body has no file part named "file"' },
  upload_not_a_file: { 'zh-CN': '"file" 部分必须是文件上传（带文件名）', en: 'the part "file" must be a file upload (with a filename)' },
  upload_long_part_name: { 'zh-CN': '部分名称超过 {max} 字节', en: 'a part name is longer than {max} bytes' },
  multipart_truncated: { 'zh-CN': '内容在 multipart 表单的结束边界之前就结束了', en: 'the body ends before the closing boundary of the multipart form' },
  multipart_no_boundary: { 'zh-CN': '内容类型中没有 multipart 边界', en: 'the content type has no multipart boundary' },
  multipart_bad_header: { 'zh-CN': '某个部分的头格式错误或超过 16 KB', en: 'a part header is malformed or longer than 16 KB' },
  multipart_malformed: { 'zh-CN': '无法解析 multipart 内容', en: 'the multipart body could not be parsed' },
  /** Twilio is the client of the webhooks: the English rule is kept as its detail. */
  twilio_field: { 'zh-CN': '不符合 Twilio 参数格式（{rule}）', en: '{rule}' },

  // --- registry rows: the reason after the field name (src/registry/validate.ts) ---
  row_required: { 'zh-CN': '为必填项', en: 'is required' },
  row_file_number_digits: { 'zh-CN': '必须正好是 12 位数字', en: 'must be exactly 12 digits' },
  row_id_number_shape: { 'zh-CN': '必须是 18 位：17 位数字，再加一位数字或 X', en: 'must be 18 characters: 17 digits, then a digit or X' },
  row_id_number_checksum: { 'zh-CN': '校验码错误（GB 11643-1999）', en: 'has a wrong check character (GB 11643-1999)' },
  row_birth_out_of_range: { 'zh-CN': '所含的出生日期晚于今天或早于 120 年前', en: 'holds a birth date in the future or more than 120 years ago' },
  row_birth_not_a_date: { 'zh-CN': '所含的出生日期不是真实的日期', en: 'holds a birth date that is not a real calendar date' },
  row_too_long: { 'zh-CN': '最多 {max} 个字符', en: 'must be at most {max} characters' },
  row_control_characters: { 'zh-CN': '不能包含换行符或控制字符', en: 'must not contain line breaks or control characters' },
  row_phone: {
    'zh-CN': '必须是大陆手机号（1[3-9] 加 9 位数字，可带 +86、0086 或 86 前缀），或写作 0 + 区号 + 号码的固定电话（共 10 到 12 位）',
    en: 'must be a mainland mobile number (1[3-9] + 9 digits, optionally after +86, 0086 or 86) or a landline written 0 + area code + number (10 to 12 digits)',
  },
  row_unknown_class: { 'zh-CN': '含有不是准驾车型的代号（{classes}）', en: 'holds a code that is not a licence class ({classes})' },
  row_no_class: { 'zh-CN': '必须至少有一个准驾车型', en: 'must hold at least one licence class' },
  row_date_format: { 'zh-CN': '必须是日期，写作 YYYY-MM-DD、YYYY/M/D 或 YYYYMMDD', en: 'must be a date written YYYY-MM-DD, YYYY/M/D or YYYYMMDD' },
  row_not_a_date: { 'zh-CN': '不是真实的日期', en: 'is not a real calendar date' },
  row_after_import_day: { 'zh-CN': '晚于导入当天', en: 'is after the day of import' },
  row_status: { 'zh-CN': '必须是 active/正常、cancelled/注销 或 revoked/吊销', en: 'must be active/正常, cancelled/注销 or revoked/吊销' },
  row_degrees: { 'zh-CN': '必须是十进制的度数', en: 'must be a decimal number of degrees' },
  row_degrees_range: { 'zh-CN': '必须在 -{limit} 到 {limit} 之间', en: 'must be between -{limit} and {limit}' },
  row_lng_needs_lat: { 'zh-CN': '在给出 lat 时为必填项', en: 'is required when lat is given' },
  row_lat_needs_lng: { 'zh-CN': '在给出 lng 时为必填项', en: 'is required when lng is given' },
  row_before_18: { 'zh-CN': '早于持证人 18 周岁生日', en: "is before the holder's 18th birthday" },
  row_extension_range: { 'zh-CN': '必须在持证人 63 周岁生日到 66 周岁生日前一天之间', en: "must fall between the holder's 63rd birthday and the day before the 66th" },
  row_before_birth: { 'zh-CN': '早于持证人的出生日期', en: "is before the holder's birth date" },
  row_valid_until_order: { 'zh-CN': '必须晚于 first_issued_on', en: 'must be after first_issued_on' },
  row_extension_class: { 'zh-CN': '仅适用于持有 A1、A2、A3、B1、B2、M、N 或 P 的驾驶证', en: 'is only allowed for a licence holding A1, A2, A3, B1, B2, M, N or P' },
  row_duplicate: { 'zh-CN': '已在文件中较早的一行出现', en: 'already appears on an earlier row of the file' },

  // --- zod's own checks (issue code = zod's code) and our refinements ---
  zod_invalid_type: { 'zh-CN': '类型不对：应为 {expected}', en: '{detail}' },
  zod_too_small: { 'zh-CN': '太小或太短（至少 {minimum}）', en: '{detail}' },
  zod_too_big: { 'zh-CN': '太大或太长（至多 {maximum}）', en: '{detail}' },
  zod_invalid_format: { 'zh-CN': '格式不对', en: '{detail}' },
  zod_invalid_value: { 'zh-CN': '不是允许的取值', en: '{detail}' },
  zod_other: { 'zh-CN': '不符合要求', en: '{detail}' },
  must_be_date_input: { 'zh-CN': '必须是日期：{forms}', en: 'must be a date: {forms}' },
  must_be_civil_date: { 'zh-CN': '必须是真实日期，写作 YYYY-MM-DD', en: 'must be a real date written YYYY-MM-DD' },
  must_be_hhmm: { 'zh-CN': '必须是 HH:MM（24 小时制，北京时间）', en: 'must be HH:MM (24-hour, Asia/Shanghai)' },
  must_be_12_digits: { 'zh-CN': '必须是 12 位数字', en: 'must be 12 digits' },
  must_be_tenths: { 'zh-CN': '必须精确到 0.1（例如 4.9）', en: 'must be written in tenths (e.g. 4.9)' },

  // --- operator mistakes (CLI and start): one line that says what to do ---
  port_in_use: { 'zh-CN': '{host} 上的端口 {port} 已被占用：请停止占用它的进程，或设置 PORT', en: 'port {port} on {host} is in use: stop the other process or set PORT' },
  port_needs_privilege: {
    'zh-CN': '{host} 上的端口 {port} 需要当前用户没有的权限：请把 PORT 设为 1023 以上（并在前面放一个代理）',
    en: 'port {port} on {host} needs privileges this user lacks: set PORT above 1023 (and put a proxy in front)',
  },
  host_not_local: { 'zh-CN': 'HOST {host} 不是本机的地址：请设置 HOST', en: 'HOST {host} is not an address of this machine: set HOST' },
  cannot_listen: { 'zh-CN': '无法在 {host} 的端口 {port} 上监听：{reason}', en: 'cannot listen on port {port} on {host}: {reason}' },
  import_file_missing: { 'zh-CN': '找不到导入文件 {file}：请检查路径', en: 'the import file {file} does not exist: check the path' },
  import_file_unreadable: { 'zh-CN': '无法读取导入文件 {file}：{reason}', en: 'cannot read the import file {file}: {reason}' },
  cli_error: { 'zh-CN': '错误：{line}', en: 'error: {line}' },

  // --- summary lines the CLI prints ---
  import_summary: {
    'zh-CN': '导入 {id}：共 {total} 行，新增 {inserted}，更新 {updated}，未变 {unchanged}，拒收 {rejected}（{inserted} + {updated} + {unchanged} + {rejected} = {total}）',
    en: 'import {id}: {total} rows, {inserted} inserted, {updated} updated, {unchanged} unchanged, {rejected} rejected ({inserted} + {updated} + {unchanged} + {rejected} = {total})',
  },
  import_warning: { 'zh-CN': '警告：{warning}', en: 'warning: {warning}' },
  import_row_error: { 'zh-CN': '第 {line} 行：{field}：{message}（{code}）', en: 'line {line}: {field}: {message} ({code})' },
  import_more_rejected: {
    'zh-CN': '……全部 {rejected} 条拒收行：GET /api/registry/imports/{id}/errors',
    en: '... all {rejected} rejected rows: GET /api/registry/imports/{id}/errors',
  },
  screening_summary: {
    'zh-CN':
      '筛查 {id}（截至 {asOf}）：筛查驾驶证 {screened} 个；标记 {flagged} = 新建 {created} + 重开 {reopened} + 更新 {updated} + 未变 {unchanged} + 已完成 {alreadyCompleted}；此前未结 {openBefore} = 更新 {updated} + 未变 {unchanged} + 被取代 {superseded} + 失效 {lapsed}',
    en:
      'screening {id} as of {asOf}: {screened} licences screened; flagged {flagged} = created {created} + reopened {reopened} + updated {updated} + unchanged {unchanged} + already completed {alreadyCompleted}; open before {openBefore} = updated {updated} + unchanged {unchanged} + superseded {superseded} + lapsed {lapsed}',
  },

  // --- what `plan preview|commit|show` and the other CLI commands print ---
  plan_preview_summary: {
    'zh-CN': '共考虑 {considered} 位驾驶人 = 已安排 {planned} + 未安排 {unplanned} + 冲突 {conflicts} + 进行中 {underway}（{km} 公里，{travel}，{ms} 毫秒）',
    en: 'considered {considered} drivers = planned {planned} + not planned {unplanned} + conflicts {conflicts} + under way {underway} ({km} km, {travel}, {ms} ms)',
  },
  plan_commit_summary: {
    'zh-CN': '共考虑 {considered} 个预约 = 已预约 {booked} + 原已预约 {unchanged} + 未预约 {leftOut}',
    en: 'considered {considered} visits = booked {booked} + already booked {unchanged} + left out {leftOut}',
  },
  plan_commit_sms: {
    'zh-CN': '{booked} 个预约的通知短信 = 已发 {sent} + 推迟 {deferred} + 发送中 {sending} + 跳过 {skipped} + 失败 {failed}',
    en: 'appointment SMS for the {booked} booked = sent {sent} + deferred {deferred} + sending {sending} + skipped {skipped} + failed {failed}',
  },
  plan_latest_none: { 'zh-CN': '{date} 还没有预览', en: 'no preview of {date} yet' },
  plan_latest_old: {
    'zh-CN': '最近一次预览 {at}：已安排 {planned}，未安排或冲突 {out}（{km} 公里）',
    en: 'latest preview {at}: planned {planned}, not planned or in conflict {out} ({km} km)',
  },
  plan_latest: {
    'zh-CN': '最近一次预览 {at}：共考虑 {considered} 位驾驶人 = 已安排 {planned} + 未安排 {unplanned} + 冲突 {conflicts} + 进行中 {underway}（{km} 公里）',
    en: 'latest preview {at}: considered {considered} drivers = planned {planned} + not planned {unplanned} + conflicts {conflicts} + under way {underway} ({km} km)',
  },
  cli_plan_shift: { 'zh-CN': '班次 {id}  {startsAt}-{endsAt}  {visits}/{capacity} 个预约', en: 'shift {id}  {startsAt}-{endsAt}  {visits}/{capacity} visits' },
  cli_plan_visit: { 'zh-CN': '  {seq}. {startsAt}（约定 {windowStart}-{windowEnd}）  {status}  {stop}', en: '  {seq}. {startsAt} (window {windowStart}-{windowEnd})  {status}  {stop}' },
  cli_staff_created: { 'zh-CN': '已创建 {role} 账户 {id}；下面的 API 令牌只显示这一次：', en: 'created {role} {id}; the API token below is shown only once:' },
  progress_rows: { 'zh-CN': '{n} 行', en: '{n} rows' },
  progress_seconds: { 'zh-CN': '{n} 秒', en: '{n} s' },
  progress_minutes: { 'zh-CN': '{m} 分 {s} 秒', en: '{m} min {s} s' },
  progress_rate: { 'zh-CN': '每秒 {rate}', en: '{rate}/s' },
  progress_left: { 'zh-CN': '约剩 {left}', en: 'about {left} left' },
  progress_import: { 'zh-CN': '导入 {file}', en: 'importing {file}' },
  progress_import_writing: { 'zh-CN': '文件已读完，正在写入名册', en: 'file read; writing the registry' },
  progress_screening: { 'zh-CN': '筛查', en: 'screening' },
  progress_screening_publishing: { 'zh-CN': '已筛查完，正在写入待办业务', en: 'screened; writing the cases' },
  progress_rotation: { 'zh-CN': '重新加密 {column}', en: 're-sealing {column}' },
  progress_plan: { 'zh-CN': '排 {date} 的计划', en: 'planning {date}' },
  cli_staff_sql_written: {
    'zh-CN': '已把 {role} 账户 {id} 写入 {file}（在 Workers 的数据库执行：npx wrangler d1 execute senior-driver-checkup --remote --file {file}）；下面的 API 令牌只显示这一次：',
    en: 'wrote {role} {id} to {file} (run it on the Worker\'s database: npx wrangler d1 execute senior-driver-checkup --remote --file {file}); the API token below is shown only once:',
  },
  cli_staff_password_set: { 'zh-CN': '已为 {username} 设置新密码；已结束 {sessions} 个会话', en: 'set a new password for {username}; ended {sessions} sessions' },
  cli_usage: { 'zh-CN': '用法：npm run cli -- 命令 [选项]（命令和选项照下面的英文写；说明见 README “Command line”）', en: 'usage: npm run cli -- COMMAND [options]' },
  cli_usage_number: { 'zh-CN': '--{name} 应为 {min} 到 {max} 之间的整数', en: '--{name} must be a whole number from {min} to {max}' },
  cli_usage_import_file: { 'zh-CN': 'import 需要一个文件：npm run cli -- import FILE', en: 'import needs a FILE' },
  cli_usage_username_required: { 'zh-CN': '需要 --username', en: '--username is required' },
  cli_usage_staff_sub: { 'zh-CN': 'staff 后面应为 add、password 或 list', en: 'staff needs add, password or list' },
  cli_usage_name: { 'zh-CN': '需要 --name（1 到 50 个字）', en: '--name is required (1-50 characters)' },
  cli_usage_role: { 'zh-CN': '--role 应为以下之一：{roles}', en: '--role must be one of {roles}' },
  cli_usage_password_username: { 'zh-CN': '--password 需要同时给出 --username', en: '--password needs --username' },
  cli_usage_demo_data: { 'zh-CN': 'demo-data 需要 --count N 和 --out FILE', en: 'demo-data needs --count N and --out FILE' },
  cli_usage_category: { 'zh-CN': '--category 应为以下之一：{categories}', en: '--category must be one of {categories}' },
  cli_usage_outreach_sub: { 'zh-CN': 'outreach 后面应为 start、run 或 messages', en: 'outreach needs start, run or messages' },
  cli_usage_date: { 'zh-CN': '--{name} 应为日期：YYYY-MM-DD，或 today、tomorrow、yesterday、+N、-N（天）', en: '--{name} must be a date: {forms}' },
  cli_usage_hours: { 'zh-CN': '--hours 应写成 HH:MM-HH:MM，开始早于结束（例如 08:00-17:30）', en: '--hours must be HH:MM-HH:MM, the start before the end (e.g. 08:00-17:30)' },
  cli_usage_plan_sub: { 'zh-CN': 'plan 后面应为 preview、commit 或 show', en: 'plan needs preview, commit or show' },
  cli_usage_route_sheet: { 'zh-CN': 'route-sheet 需要 --shift 和 --out', en: 'route-sheet needs --shift and --out' },
  cli_usage_no_shift: { 'zh-CN': '没有这个编号的班次', en: 'no shift with this id' },
  cli_usage_simulate: { 'zh-CN': 'simulate-reply 需要 --phone、--file-number 或 --case 之一，以及 --text 或 --digits', en: 'simulate-reply needs one of --phone, --file-number or --case, and either --text or --digits' },
  cli_usage_no_conversation: { 'zh-CN': '这位驾驶人没有可以回应的通知：请先开始通知（outreach start）', en: 'no conversation with this driver to answer a call of: start outreach first' },
  cli_usage_unknown_command: { 'zh-CN': '没有这个命令：{command}', en: 'unknown command {command}' },
  cli_usage_option: { 'zh-CN': '选项有误：{detail}', en: '{detail}' },
  cli_password_prompt: { 'zh-CN': '密码：', en: 'Password: ' },
  cli_password_again: { 'zh-CN': '再输入一次：', en: 'Again: ' },
  cli_password_mismatch: { 'zh-CN': '两次输入的密码不一致', en: 'the two passwords differ' },
  cli_password_missing: { 'zh-CN': '--password 从标准输入的第一行读取密码，但没有读到', en: '--password reads the password from the first line of standard input, and there was none' },
  cli_demo_written: { 'zh-CN': '已写入 {rows} 行合成数据（{bytes} 字节）到 {file}', en: 'wrote {rows} synthetic rows ({bytes} bytes) to {file}' },
  cli_outreach_started: { 'zh-CN': '已开始 {started} 个联系会话；还有 {remaining} 位驾驶人等待', en: 'started {started} conversations; {remaining} more drivers are waiting' },
  cli_crews_added: { 'zh-CN': '已添加 {count} 个班组，班次在 {date}，{startsAt}-{endsAt}：', en: 'added {count} crews with shifts on {date}, {startsAt}-{endsAt}:' },
  cli_crew_shift: { 'zh-CN': '  班次 {id}', en: '  shift {id}' },
  cli_route_sheet_written: { 'zh-CN': '已把 {visits} 个预约的路线单写入 {file}', en: 'wrote the route sheet of {visits} visits to {file}' },
  cli_reply_sms: { 'zh-CN': '回复短信：{text}', en: 'reply SMS: {text}' },
  cli_reply_call: { 'zh-CN': '通话：{text}', en: 'call: {text}' },
  cli_reply_none: { 'zh-CN': '（无）', en: '(none)' },
  cli_conversation: { 'zh-CN': '联系会话：{status}', en: 'conversation: {status}' },
  cli_worker_started: { 'zh-CN': '提交队列工作进程已启动（网关：{gateway}）', en: 'submission worker started (gateway: {gateway})' },
} as const satisfies Record<string, Record<Locale, string>>;

export type MessageKey = keyof typeof MESSAGES;
/** The reasons of a registry row's cells (read after the field name). */
export type RowMessageKey = Extract<MessageKey, `row_${string}`>;

/** The `{name}`s of a template, as a union of names. */
type ParamNames<S extends string> = S extends `${string}{${infer P}}${infer Rest}` ? P | ParamNames<Rest> : never;
type NamesOf<K extends MessageKey> = ParamNames<(typeof MESSAGES)[K]['zh-CN']> | ParamNames<(typeof MESSAGES)[K]['en']>;
/** A parameter may itself be a catalogue sentence (a state's words, what was not done): rendered in the same locale. */
export type ParamValue = string | number | MessageRef;
/** The parameters a key's templates use, in either language: all must be given. */
export type MessageParams<K extends MessageKey> = [NamesOf<K>] extends [never] ? Record<string, never> : Record<NamesOf<K>, ParamValue>;

/** A key with its parameters, as carried by AppError and FieldIssue until a locale renders it. */
export type MessageRef = { [K in MessageKey]: { key: K; params?: MessageParams<K> } }[MessageKey];

export function isMessageKey(value: unknown): value is MessageKey {
  return typeof value === 'string' && Object.hasOwn(MESSAGES, value);
}

/** The `{name}`s one template uses (for the completeness test and `render`). */
export function templateParams(template: string): string[] {
  return [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
}

/** The sentence of `key` in `locale`; a parameter not given stays `{name}` (the test forbids it). */
export function render<K extends MessageKey>(locale: Locale, key: K, ...rest: [NamesOf<K>] extends [never] ? [params?: Record<string, never>] : [params: MessageParams<K>]): string;
export function render(locale: Locale, key: MessageKey, params?: Record<string, ParamValue>): string;
export function render(locale: Locale, key: MessageKey, params: Record<string, ParamValue> = {}): string {
  const template: string = MESSAGES[key][locale];
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    if (!Object.hasOwn(params, name)) return whole;
    const value = params[name]!;
    return typeof value === 'object' ? renderRef(locale, value) : String(value);
  });
}

/** A ref rendered (for callers holding a MessageRef of unknown key). */
export function renderRef(locale: Locale, ref: MessageRef): string {
  return render(locale, ref.key, (ref.params ?? {}) as Record<string, ParamValue>);
}

/** The generic sentence of an error code: what an error without its own key leads with. */
export function genericMessage(locale: Locale, code: ErrorCode): string {
  return render(locale, `error_${code}`);
}
