/**
 * The console's one script (DESIGN.md: works without JavaScript, better with it). Every page works
 * without it; with it: a confirmation before irreversible actions, no double submission, and the
 * registry upload by drag-and-drop with a progress bar while the file is sent and read.
 */
export const CONSOLE_JS = String.raw`
(function () {
  'use strict';
  document.addEventListener('submit', function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    var question = form.getAttribute('data-confirm');
    if (question && !window.confirm(question)) { event.preventDefault(); return; }
    if (form.hasAttribute('data-upload') && window.FormData && window.XMLHttpRequest) {
      event.preventDefault();
      upload(form);
      return;
    }
    var busy = form.getAttribute('data-busy');
    var busyStatus = form.querySelector('[data-busy-status]');
    if (busy && busyStatus) busyStatus.textContent = busy;
    if (form.method.toLowerCase() === 'post') {
      // One click, one action: the buttons wait for the answer.
      setTimeout(function () {
        form.querySelectorAll('button[type=submit]').forEach(function (b) { b.disabled = true; });
      }, 0);
    }
  });

  function upload(form) {
    var bar = form.querySelector('progress');
    var status = form.querySelector('[data-upload-status]');
    var buttons = form.querySelectorAll('button[type=submit]');
    buttons.forEach(function (b) { b.disabled = true; });
    var xhr = new XMLHttpRequest();
    xhr.open('POST', form.action);
    xhr.setRequestHeader('X-Console-Upload', '1');
    xhr.upload.onprogress = function (e) {
      if (!bar || !e.lengthComputable) return;
      bar.hidden = false; bar.max = e.total; bar.value = e.loaded;
      if (status) status.textContent = e.loaded < e.total ? '正在上传 ' + Math.round(100 * e.loaded / e.total) + '%' : '上传完成，正在逐行校验并写入，请稍候…';
    };
    xhr.onload = function () {
      // The server answers the import's address in JSON; an error comes as the form page again.
      var type = xhr.getResponseHeader('Content-Type') || '';
      if (xhr.status === 200 && type.indexOf('application/json') === 0) {
        window.location.href = JSON.parse(xhr.responseText).location;
        return;
      }
      document.open(); document.write(xhr.responseText); document.close();
    };
    xhr.onerror = function () {
      if (status) status.textContent = '网络中断，文件没有导入。请检查网络后重新上传。';
      buttons.forEach(function (b) { b.disabled = false; });
    };
    xhr.send(new FormData(form));
  }

  document.querySelectorAll('.dropzone').forEach(function (zone) {
    var input = zone.querySelector('input[type=file]');
    var name = zone.querySelector('[data-file-name]');
    if (!input) return;
    function show() { if (name) name.textContent = input.files && input.files[0] ? input.files[0].name : ''; }
    input.addEventListener('change', show);
    zone.addEventListener('dragover', function (e) { e.preventDefault(); zone.classList.add('over'); });
    zone.addEventListener('dragleave', function () { zone.classList.remove('over'); });
    zone.addEventListener('drop', function (e) {
      e.preventDefault(); zone.classList.remove('over');
      if (e.dataTransfer && e.dataTransfer.files.length > 0) { input.files = e.dataTransfer.files; show(); }
    });
  });

  // On a phone the menu starts folded.
  if (window.matchMedia && window.matchMedia('(max-width: 760px)').matches) {
    document.querySelectorAll('.sidenav details').forEach(function (d) { d.removeAttribute('open'); });
  }
})();
`;
