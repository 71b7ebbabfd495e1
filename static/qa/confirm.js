// Asks before a button whose action emails someone, or cannot be taken back, does its work. The
// question is the button's (or its form's) data-confirm attribute; the page's own script
// runs nowhere else, so the strict CSP allows it.
document.addEventListener("submit", (event) => {
  const button = event.submitter;
  const question = (button && button.dataset.confirm) || event.target.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
