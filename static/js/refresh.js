// A section marked data-refresh (a batch's progress) is fetched again every few seconds and
// replaced in place, until the page answers without the mark. In place, not a page reload: the
// focus and the reading position stay where they are, and the live region announces the change.
// Without JavaScript the section says how to see newer figures (reload the page).
(() => {
  const section = document.querySelector("[data-refresh]");
  if (!section) return;
  const seconds = Number(section.dataset.refresh) || 3;
  const again = async () => {
    try {
      const answer = await fetch(window.location.href, { headers: { Accept: "text/html" } });
      if (!answer.ok) return;
      const page = new DOMParser().parseFromString(await answer.text(), "text/html");
      const fresh = page.getElementById(section.id);
      if (!fresh) return;
      section.innerHTML = fresh.innerHTML;
      if (!fresh.hasAttribute("data-refresh")) return;
    } catch (error) {
      // a network hiccup: try again at the next tick
    }
    window.setTimeout(again, seconds * 1000);
  };
  window.setTimeout(again, seconds * 1000);
})();
