export const DASHBOARD_FILES: string[];
export function dashboard(): {
  panels: { type: string; targets?: { expr: string }[] }[];
  templating: { list: { query?: unknown }[] };
};
export function dashboardText(): string;
