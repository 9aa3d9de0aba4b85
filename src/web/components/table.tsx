/**
 * A table with keyset paging and the filter form above it (DESIGN.md "The staff console"). The
 * filters are the URL's query string, so that a filtered list can be shared, bookmarked and
 * reached again with the back button; the pager keeps them and adds the cursor.
 */
import type { Child } from 'hono/jsx';

export interface Column<T> {
  header: string;
  cell: (row: T) => Child;
  /** `num` right-aligns figures. */
  kind?: 'num';
}

/** `path?a=1&b=2`, leaving out empty values; `changes` replace (or with null remove) parameters. */
export function withQuery(path: string, query: Record<string, string | undefined>, changes: Record<string, string | null> = {}): string {
  const params = new URLSearchParams();
  const merged: Record<string, string | null | undefined> = { ...query, ...changes };
  for (const [name, value] of Object.entries(merged)) if (value !== undefined && value !== null && value !== '') params.set(name, value);
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

export function DataTable<T>(props: {
  caption: string;
  columns: readonly Column<T>[];
  rows: readonly T[];
  empty: string;
  /** The list's own URL and query, for the pager. */
  path: string;
  query: Record<string, string | undefined>;
  /** The cursor of the next page, or null on the last one. */
  next?: string | null;
}) {
  const paged = props.query.cursor !== undefined || Boolean(props.next);
  return (
    // Focusable and named: a table wider than a phone scrolls, and the keyboard must reach it.
    <div class="table-wrap" tabindex={0} role="region" aria-label={props.caption}>
      <table>
        <caption>{props.caption}</caption>
        <thead>
          <tr>
            {props.columns.map((col) => (
              <th scope="col" class={col.kind}>
                {col.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.length === 0 ? (
            <tr>
              <td colspan={props.columns.length} class="empty">
                {props.empty}
              </td>
            </tr>
          ) : (
            props.rows.map((row) => (
              <tr>
                {props.columns.map((col) => (
                  <td class={col.kind}>{col.cell(row)}</td>
                ))}
              </tr>
            ))
          )}
        </tbody>
      </table>
      {paged ? (
        <nav class="pager" aria-label="翻页">
          {props.query.cursor !== undefined ? <a href={withQuery(props.path, props.query, { cursor: null })}>回到第一页</a> : <span />}
          {props.next ? (
            <a href={withQuery(props.path, props.query, { cursor: props.next })} rel="next">
              下一页
            </a>
          ) : (
            <span class="muted">已是最后一页</span>
          )}
        </nav>
      ) : null}
    </div>
  );
}

export type FilterField =
  | { name: string; label: string; type: 'select'; options: readonly { value: string; label: string }[]; all?: string }
  | { name: string; label: string; type: 'date' | 'text' | 'search' }
  | { name: string; label: string; type: 'checkbox' };

/** A GET form: filtering is reading, and its result is a URL. */
export function FilterForm(props: { action: string; fields: readonly FilterField[]; values: Record<string, string | undefined> }) {
  return (
    <form method="get" action={props.action} class="filters" role="search">
      {props.fields.map((field) => (
        <div class="filter">
          <label for={`f-${field.name}`}>{field.label}</label>
          {field.type === 'select' ? (
            <select id={`f-${field.name}`} name={field.name}>
              <option value="">{field.all ?? '全部'}</option>
              {field.options.map((o) => (
                <option value={o.value} selected={props.values[field.name] === o.value}>
                  {o.label}
                </option>
              ))}
            </select>
          ) : field.type === 'checkbox' ? (
            <input id={`f-${field.name}`} type="checkbox" name={field.name} value="true" checked={props.values[field.name] === 'true'} />
          ) : (
            <input id={`f-${field.name}`} type={field.type} name={field.name} value={props.values[field.name] ?? ''} />
          )}
        </div>
      ))}
      <div class="filter-actions">
        <button type="submit">筛选</button>
        <a href={props.action}>清除条件</a>
      </div>
    </form>
  );
}
