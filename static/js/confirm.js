// A button or link with data-confirm asks before it acts (no inline handlers: the pages' Content
// Security Policy allows only scripts served from here). Without JavaScript it acts at once.
document.addEventListener("click", (event) => {
  const target = event.target.closest("[data-confirm]");
  if (target && !window.confirm(target.dataset.confirm)) {
    event.preventDefault();
  }
});
