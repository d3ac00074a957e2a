// The import page's progress bar follows the worker: it asks progress.json every second and,
// once the import has ended, loads the page again to show the result. Without JavaScript the
// page refreshes itself (a <noscript> refresh), so the bar moves either way.
(() => {
  const bar = document.getElementById("import-progress");
  const text = document.getElementById("import-progress-text");
  if (!bar || !bar.dataset.progressUrl) {
    return;
  }
  const poll = async () => {
    try {
      const answer = await fetch(bar.dataset.progressUrl, { headers: { Accept: "application/json" } });
      if (answer.ok) {
        const progress = await answer.json();
        bar.value = progress.percent;
        bar.textContent = `${progress.percent}%`;
        if (text) {
          text.textContent = text.dataset.template
            .replace("{done}", progress.done)
            .replace("{total}", progress.total);
        }
        if (progress.finished) {
          window.location.reload();
          return;
        }
      }
    } catch (error) {
      // the network or the server hiccupped: the next poll tries again
    }
    window.setTimeout(poll, 1000);
  };
  window.setTimeout(poll, 500);
})();
