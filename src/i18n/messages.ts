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
  lease_lost: {
    'zh-CN': '该任务的心跳停止后已被另一个进程接管；本次未保存任何内容',
    en: 'the {what} was taken over by another process after its heartbeat stopped; it stored nothing',
  },
  conversation_not_found: { 'zh-CN': '没有这个编号的会话', en: 'no conversation with this id' },
  conversation_closed: { 'zh-CN': '该会话已关闭', en: 'the conversation is closed' },
  exam_not_found: { 'zh-CN': '没有这个编号的体检', en: 'no exam with this id' },
  examiner_own_exams: { 'zh-CN': '体检医生只能查看自己班次的体检', en: 'an examiner sees only the exams of their own shifts' },
  follow_up_not_found: { 'zh-CN': '该案件没有未结的随访', en: 'no open follow-up for this case' },
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
  simulate_unknown_case: { 'zh-CN': 'case：没有这个编号的案件', en: 'case: no case with this id' },
  simulate_unknown_file_number: { 'zh-CN': 'fileNumber：没有这个档案编号的驾驶证', en: 'fileNumber: no licence with this file number' },
  twilio_signature: { 'zh-CN': 'X-Twilio-Signature 缺失或与本请求不符', en: 'X-Twilio-Signature is missing or does not match this request' },
  twilio_account: { 'zh-CN': 'AccountSid 不是本服务的 Twilio 账户', en: "AccountSid is not this service's Twilio account" },

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
} as const satisfies Record<string, Record<Locale, string>>;

export type MessageKey = keyof typeof MESSAGES;
/** The reasons of a registry row's cells (read after the field name). */
export type RowMessageKey = Extract<MessageKey, `row_${string}`>;

/** The `{name}`s of a template, as a union of names. */
type ParamNames<S extends string> = S extends `${string}{${infer P}}${infer Rest}` ? P | ParamNames<Rest> : never;
type NamesOf<K extends MessageKey> = ParamNames<(typeof MESSAGES)[K]['zh-CN']> | ParamNames<(typeof MESSAGES)[K]['en']>;
export type ParamValue = string | number;
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
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (Object.hasOwn(params, name) ? String(params[name]) : whole));
}

/** A ref rendered (for callers holding a MessageRef of unknown key). */
export function renderRef(locale: Locale, ref: MessageRef): string {
  return render(locale, ref.key, (ref.params ?? {}) as Record<string, ParamValue>);
}

/** The generic sentence of an error code: what an error without its own key leads with. */
export function genericMessage(locale: Locale, code: ErrorCode): string {
  return render(locale, `error_${code}`);
}
