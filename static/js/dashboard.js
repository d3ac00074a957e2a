// The operations dashboard fetches its panels again every few seconds and swaps them in, without
// reloading the page (served from here: the Content Security Policy allows no inline script).
// A failed fetch keeps the figures on screen and says so; the next round tries again.
(() => {
  const root = document.getElementById("dashboard");
  if (!root) return;
  const status = document.getElementById("dashboard-updated");
  const every = Math.max(Number(root.dataset.refreshSeconds) || 15, 1) * 1000;

  async function refresh() {
    root.setAttribute("aria-busy", "true");
    try {
      const answer = await fetch(root.dataset.refreshUrl, { credentials: "same-origin", cache: "no-store" });
      if (!answer.ok) throw new Error(`HTTP ${answer.status}`);
      root.innerHTML = await answer.text();
      root.dataset.refreshes = String(Number(root.dataset.refreshes) + 1);
      if (status) status.textContent = `updated ${new Date().toLocaleTimeString()}`;
    } catch (error) {
      if (status) status.textContent = `refresh failed (${error.message}); showing older figures`;
    } finally {
      root.removeAttribute("aria-busy");
      window.setTimeout(refresh, every);
    }
  }

  window.setTimeout(refresh, every);
})();
