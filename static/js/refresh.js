// Sections marked data-refresh (a batch's progress and its orders) are fetched again every few
// seconds and replaced in place, from one fetch of the page, until the page answers without the
// marks. In place, not a page reload: the focus and the reading position stay where they are, and
// the live region announces the change. Without JavaScript the page has a <noscript> meta refresh.
(() => {
  const sections = [...document.querySelectorAll("[data-refresh]")];
  if (!sections.length) return;
  const seconds = Number(sections[0].dataset.refresh) || 3;
  const again = async () => {
    let more = true;
    try {
      const answer = await fetch(window.location.href, { headers: { Accept: "text/html" } });
      if (answer.ok) {
        const page = new DOMParser().parseFromString(await answer.text(), "text/html");
        more = false;
        for (const section of sections) {
          const fresh = page.getElementById(section.id);
          if (!fresh) continue;
          section.innerHTML = fresh.innerHTML;
          more = more || fresh.hasAttribute("data-refresh");
        }
      }
    } catch (error) {
      // a network hiccup: try again at the next tick
    }
    if (more) window.setTimeout(again, seconds * 1000);
  };
  window.setTimeout(again, seconds * 1000);
})();
