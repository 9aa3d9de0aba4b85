/**
 * The crews' routes drawn from the stops' coordinates (issue 16, the planning board): a
 * server-rendered SVG, no map tiles, so it works on an office intranet without internet. Each
 * route is a polyline in its own colour from the start point through the numbered stops to the
 * end point; a scale bar in kilometres. Accessible: role=img with a title and a description, and
 * the stops written out as a list beside it. Colours are SVG attributes (the CSP forbids style).
 */

export interface MapPoint {
  lat: number;
  lng: number;
}

export interface MapStop extends MapPoint {
  /** The stop's number on its route, from 1. */
  seq: number;
  label: string;
  /** The arrival window, `09:00-10:00`, for the list. */
  window: string;
}

export interface MapRoute {
  id: string;
  /** The crew in words: `1号 邮政王某 / 李医生 8:30-12:00`. */
  label: string;
  start: MapPoint & { label: string };
  end: MapPoint & { label: string };
  stops: readonly MapStop[];
}

/** Twelve colours that keep 3:1 against white (WCAG 1.4.11); a thirteenth route repeats with dashes. */
export const ROUTE_COLOURS = ['#0b5cad', '#b42318', '#1e7b45', '#9a5b00', '#6941c6', '#0e7490', '#c11574', '#4d5761', '#a15c07', '#175c4c', '#5925dc', '#7a2e0e'] as const;

export function routeColour(index: number): string {
  return ROUTE_COLOURS[index % ROUTE_COLOURS.length]!;
}

const WIDTH = 640;
const PAD = 24;
const KM_PER_DEG = 111.32;

interface Projection {
  x(p: MapPoint): number;
  y(p: MapPoint): number;
  height: number;
  /** Kilometres per viewBox unit. */
  kmPerUnit: number;
}

/** Equirectangular around the points' middle latitude: exact enough for a city. */
function projection(points: readonly MapPoint[]): Projection {
  const lats = points.map((p) => p.lat);
  const lngs = points.map((p) => p.lng);
  const [minLat, maxLat, minLng, maxLng] = [Math.min(...lats), Math.max(...lats), Math.min(...lngs), Math.max(...lngs)];
  const cos = Math.cos((((minLat + maxLat) / 2) * Math.PI) / 180);
  // At least 1 km across, so that one stop beside its start point is not a blown-up dot.
  const widthKm = Math.max((maxLng - minLng) * KM_PER_DEG * cos, 1);
  const heightKm = Math.max((maxLat - minLat) * KM_PER_DEG, 1);
  const inner = WIDTH - 2 * PAD;
  const kmPerUnit = Math.max(widthKm / inner, heightKm / (inner * 0.8));
  const height = Math.max(200, Math.round(heightKm / kmPerUnit + 2 * PAD + 28));
  const midLng = (minLng + maxLng) / 2;
  const midLat = (minLat + maxLat) / 2;
  return {
    x: (p) => Math.round((WIDTH / 2 + ((p.lng - midLng) * KM_PER_DEG * cos) / kmPerUnit) * 10) / 10,
    y: (p) => Math.round(((height - 28) / 2 - ((p.lat - midLat) * KM_PER_DEG) / kmPerUnit) * 10) / 10,
    height,
    kmPerUnit,
  };
}

/** A round length (1, 2 or 5 times a power of ten km) about a fifth of the map's width. */
export function scaleLength(kmPerUnit: number): number {
  const target = (WIDTH / 5) * kmPerUnit;
  const power = 10 ** Math.floor(Math.log10(target));
  const step = [5, 2, 1].find((m) => m * power <= target) ?? 1;
  return step * power;
}

const kmText = (km: number) => (km >= 1 ? `${km} 公里` : `${Math.round(km * 1000)} 米`);

function ScaleBar(props: { kmPerUnit: number; height: number }) {
  const km = scaleLength(props.kmPerUnit);
  const length = Math.round(km / props.kmPerUnit);
  const y = props.height - 12;
  return (
    <g>
      <path d={`M${PAD} ${y - 6}v6h${length}v-6`} stroke="#1f2933" stroke-width={2} fill="none" />
      <text x={PAD + length + 8} y={y} fill="#1f2933" font-size={13}>
        {kmText(km)}
      </text>
    </g>
  );
}

/** Stops one after another at one place (drivers of a community seen at its gate): one mark, `1-3`. */
export function stopGroups(stops: readonly MapStop[]): { at: MapStop; text: string }[] {
  const groups: { at: MapStop; first: number; last: number }[] = [];
  for (const s of stops) {
    const g = groups[groups.length - 1];
    if (g && g.at.lat === s.lat && g.at.lng === s.lng) g.last = s.seq;
    else groups.push({ at: s, first: s.seq, last: s.seq });
  }
  return groups.map((g) => ({ at: g.at, text: g.first === g.last ? String(g.first) : `${g.first}-${g.last}` }));
}

function StopMark(props: { x: number; y: number; text: string; colour: string }) {
  // A pill as wide as its number: 6 units a digit at font size 10.
  const width = Math.max(16, props.text.length * 6 + 6);
  return (
    <g class="stop">
      <rect x={props.x - width / 2} y={props.y - 8} width={width} height={16} rx={8} fill={props.colour} stroke="#ffffff" stroke-width={1} />
      <text x={props.x} y={props.y + 3.5} fill="#ffffff" font-size={10} text-anchor="middle">
        {props.text}
      </text>
    </g>
  );
}

function RouteLine(props: { route: MapRoute; index: number; p: Projection }) {
  const { route, p } = props;
  const colour = routeColour(props.index);
  const points = [route.start, ...route.stops, route.end].map((q) => `${p.x(q)},${p.y(q)}`).join(' ');
  const dashed = props.index >= ROUTE_COLOURS.length ? '6 4' : undefined;
  return (
    <g>
      <polyline points={points} fill="none" stroke={colour} stroke-width={2.5} stroke-linejoin="round" stroke-dasharray={dashed} />
      {stopGroups(route.stops).map((g) => (
        <StopMark x={p.x(g.at)} y={p.y(g.at)} text={g.text} colour={colour} />
      ))}
    </g>
  );
}

/** Start (square) and end (diamond) of a route; one square when they are the same place. */
function Ends(props: { route: MapRoute; p: Projection }) {
  const { route, p } = props;
  // In ink, not the route's colour: crews often share a post office, and one colour would hide the others.
  const colour = '#1f2933';
  const same = route.start.lat === route.end.lat && route.start.lng === route.end.lng;
  const [sx, sy, ex, ey] = [p.x(route.start), p.y(route.start), p.x(route.end), p.y(route.end)];
  return (
    <g>
      <rect x={sx - 7} y={sy - 7} width={14} height={14} fill="#ffffff" stroke={colour} stroke-width={3} />
      {same ? null : <path d={`M${ex} ${ey - 8}l8 8l-8 8l-8 -8z`} fill="#ffffff" stroke={colour} stroke-width={3} />}
    </g>
  );
}

function describe(routes: readonly MapRoute[]): string {
  const stops = routes.reduce((n, r) => n + r.stops.length, 0);
  return `${routes.length} 条路线，共 ${stops} 个站点。方块为出发点，菱形为终点（与出发点相同时只画方块），圆点中的数字为站点顺序（同一地点连续几站写作 1-3）。各站点按顺序列在地图下方。`;
}

/** The stops of each route written out: what the picture shows, for screen readers and for print. */
function StopList(props: { routes: readonly MapRoute[]; id: string }) {
  return (
    <details class="map-list" id={props.id}>
      <summary>地图上的站点（文字列表）</summary>
      {props.routes.map((r) => (
        <div>
          <h3>{r.label}</h3>
          <ol>
            <li value={0}>出发：{r.start.label}</li>
            {r.stops.map((s) => (
              <li value={s.seq}>
                {s.label}（{s.window}）
              </li>
            ))}
            <li value={r.stops.length + 1}>返回：{r.end.label}</li>
          </ol>
        </div>
      ))}
    </details>
  );
}

export function RouteMap(props: { routes: readonly MapRoute[]; title: string; id?: string }) {
  const id = props.id ?? 'route-map';
  const points = props.routes.flatMap((r) => [r.start, r.end, ...r.stops]);
  if (points.length === 0) return <p class="muted">没有可画的路线。</p>;
  const p = projection(points);
  return (
    <figure class="route-map" id={id}>
      <svg class="map" role="img" aria-labelledby={`${id}-title`} aria-describedby={`${id}-desc`} viewBox={`0 0 ${WIDTH} ${p.height}`} width="100%" font-family="inherit">
        <title id={`${id}-title`}>{props.title}</title>
        <desc id={`${id}-desc`}>{describe(props.routes)}</desc>
        <rect x={0} y={0} width={WIDTH} height={p.height} fill="#f8fafc" />
        {props.routes.map((route, i) => (
          <RouteLine route={route} index={i} p={p} />
        ))}
        {props.routes.map((route) => (
          <Ends route={route} p={p} />
        ))}
        <ScaleBar kmPerUnit={p.kmPerUnit} height={p.height} />
      </svg>
      <figcaption>
        <ul class="legend">
          {props.routes.map((r, i) => (
            <li>
              <svg class="swatch" viewBox="0 0 24 10" width={24} height={10} aria-hidden="true">
                <line x1={0} y1={5} x2={24} y2={5} stroke={routeColour(i)} stroke-width={4} stroke-dasharray={i >= ROUTE_COLOURS.length ? '6 4' : undefined} />
              </svg>
              {r.label}
            </li>
          ))}
        </ul>
      </figcaption>
      <StopList routes={props.routes} id={`${id}-stops`} />
    </figure>
  );
}
