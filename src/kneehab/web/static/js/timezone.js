// "Today" is the person's own date (issue 11 §1): the browser says which timezone it is in, once,
// when the program is saved. Without JavaScript the field stays empty and the server's zone is used.
const field = document.querySelector('input[name="timezone"]');
if (field && !field.value) {
  try {
    field.value = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch {
    field.value = "";
  }
}
