// The background-job page: polls the job's status (data-status-url on #job-bar) and follows it to the result.
(function () {
  "use strict";
  const bar = document.getElementById("job-bar");
  if (!bar || !bar.dataset.statusUrl) { return; }
  const url = bar.dataset.statusUrl;
  async function poll() {
    const response = await fetch(url, {headers: {"Accept": "application/json"}});
    if (!response.ok) { return; }
    const job = await response.json();
    const percent = Math.round(job.progress * 100);
    bar.style.width = percent + "%"; bar.textContent = percent + "%";
    bar.parentElement.setAttribute("aria-valuenow", percent);
    document.getElementById("job-message").textContent = job.message;
    document.getElementById("job-error").textContent = job.error;
    if (job.status === "finished" && job.result_url) { window.location = job.result_url; return; }
    if (job.status === "failed") { bar.classList.add("bg-danger"); bar.classList.remove("progress-bar-animated"); return; }
    setTimeout(poll, 1000);
  }
  setTimeout(poll, 500);
})();
