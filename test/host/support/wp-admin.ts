// What an admin does on a host's site, from outside: log in, open a wp-admin screen,
// call the plugin's REST routes.

/** Logs in through wp-login.php, as a browser does; returns the Cookie header to send. */
export async function logIn(
  origin: string,
  admin: { user: string; password: string },
): Promise<string> {
  const response = await fetch(`${origin}/wp-login.php`, {
    method: "POST",
    redirect: "manual",
    headers: {
      "Content-Type": "application/x-www-form-urlencoded",
      Cookie: "wordpress_test_cookie=WP%20Cookie%20check",
    },
    body: new URLSearchParams({
      log: admin.user,
      pwd: admin.password,
      testcookie: "1",
      redirect_to: `${origin}/wp-admin/`,
    }),
  });
  await response.arrayBuffer();
  const cookies = response.headers
    .getSetCookie()
    .map((cookie) => cookie.split(";")[0])
    .filter((cookie) => cookie?.startsWith("wordpress_"));
  if (response.status !== 302 || cookies.length === 0) {
    throw new Error(`logging in as ${admin.user} at ${origin} failed (HTTP ${response.status})`);
  }
  return cookies.join("; ");
}

/**
 * A route of the plugin (/wp-json/sluice/v1/…): POST with a JSON body, else GET; as
 * the admin when given "login:application-password".
 */
export function pluginRest(
  origin: string,
  route: string,
  init: { body?: object; adminAuth?: string } = {},
): Promise<Response> {
  const headers: Record<string, string> = {};
  if (init.body) headers["Content-Type"] = "application/json";
  if (init.adminAuth) {
    headers.Authorization = `Basic ${Buffer.from(init.adminAuth).toString("base64")}`;
  }
  return fetch(`${origin}/wp-json/sluice/v1${route}`, {
    method: init.body ? "POST" : "GET",
    headers,
    ...(init.body ? { body: JSON.stringify(init.body) } : {}),
  });
}
