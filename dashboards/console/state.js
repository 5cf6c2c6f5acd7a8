// What the console knows right now, shared by its modules: one object, no other globals.
export const colours = {
  ok: '#2e9e44',
  info: '#3f88c5',
  warning: '#f49d37',
  critical: '#d7263d',
  offline: '#8a8f98',
};
export const severityRank = { critical: 0, warning: 1, info: 2 };
export const state = {
  lang: localStorage.getItem('ioc.lang') || 'vi',
  token: sessionStorage.getItem('ioc.token'),
  role: sessionStorage.getItem('ioc.role'),
  /** The areas and units the account reaches: 'all' or their ids (from the login). */
  scope: JSON.parse(sessionStorage.getItem('ioc.scope') ?? '"all"'),
  catalog: null,
  /** The areas with their units in force, from the places API. */
  areas: [],
  devices: new Map(),
  markers: new Map(),
  alerts: new Map(),
  filter: {},
  socket: null,
  map: null,
  cluster: null,
  panel: null,
  fitted: false,
};
export const $ = (id) => document.getElementById(id);
// Viewers watch; operators and admins act. The API enforces the same, this only hides what would fail.
// The wall display only shows, whoever is logged in on it.
export const canOperate = () =>
  (state.role === 'operator' || state.role === 'admin') &&
  new URLSearchParams(location.search).get('display') !== '1';
