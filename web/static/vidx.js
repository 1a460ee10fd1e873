// The web page's one script, served as /static/vidx.js (the Content-Security-Policy allows no inline script).
// Without it the page still works: a result opens its video at the moment, "More results" loads the next page.
"use strict";

const player = document.getElementById("player");
const video = player && player.querySelector("video");
const exportForm = player && player.querySelector("form.export");
let opener = null; // the result that opened the player, to give the focus back to

function openPlayer(link) {
  const { video: id, start, end, title } = link.dataset;
  opener = link;
  player.querySelector("#player-title").textContent = title;
  player.querySelector("#player-times").textContent = link.dataset.times;
  exportForm.elements.video.value = id;
  exportForm.elements.start.value = Number(start).toFixed(1);
  exportForm.elements.end.value = Number(end).toFixed(1);
  player.querySelector(".export-error").textContent = "";
  video.src = link.getAttribute("href");
  player.showModal();
  video.addEventListener("loadedmetadata", () => { video.currentTime = Number(start); }, { once: true });
  video.play().catch(() => {}); // a browser that blocks autoplay leaves the play button to the user
}

function closed() {
  video.pause();
  video.removeAttribute("src");
  video.load();
  if (opener) opener.focus();
}

async function more(link) {
  link.setAttribute("aria-busy", "true");
  const answer = await fetch(link.href, { credentials: "same-origin" });
  const next = new DOMParser().parseFromString(await answer.text(), "text/html");
  const grid = document.getElementById("results");
  const cards = [...next.querySelectorAll("#results > li")];
  grid.append(...cards);
  const paging = document.querySelector(".paging");
  const nextPaging = next.querySelector(".paging");
  if (nextPaging) paging.replaceWith(nextPaging); else paging.remove();
  // As the first page would say it, had it held them all.
  const count = grid.children.length;
  document.getElementById("summary").textContent = nextPaging ? `Results 1–${count}` : `${count} results`;
  if (cards.length) cards[0].querySelector("a.open").focus();
}

document.addEventListener("click", (event) => {
  const link = event.target.closest("a.open");
  if (link && player && !event.ctrlKey && !event.metaKey && !event.shiftKey) {
    event.preventDefault();
    openPlayer(link);
    return;
  }
  const next = event.target.closest("a#more");
  if (next) {
    event.preventDefault();
    more(next).catch(() => { window.location.href = next.href; });
    return;
  }
  const button = event.target.closest("button[data-set]");
  if (button) {
    exportForm.elements[button.dataset.set].value = video.currentTime.toFixed(1);
    return;
  }
  if (event.target.closest("#close")) player.close();
});

if (player) {
  player.addEventListener("close", closed);
  exportForm.addEventListener("submit", (event) => {
    const start = Number(exportForm.elements.start.value);
    const end = Number(exportForm.elements.end.value);
    if (!(end > start)) {
      event.preventDefault();
      player.querySelector(".export-error").textContent = "Out must come after in.";
    }
  });
}
