// The seqlog console: renders the cluster state the server pushes over Server-Sent Events (/api/events).
// Plain DOM, no framework, no build step. Values arrive as strings for int64 fields.
const views = ['topics', 'transactions', 'groups'];

/** Creates an element with attributes and children (strings become text nodes, so nothing is parsed as HTML). */
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== null) node.setAttribute(name, String(value));
  }
  for (const child of children.flat()) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

function table(headers, rows, attributes = {}) {
  return el('table', attributes, el('thead', {}, el('tr', {}, headers.map((header) => el('th', {}, header)))), el('tbody', {}, rows));
}

function counters(state) {
  const shown = [
    ['requests', 'Requests'],
    ['messagesIn', 'Records in'],
    ['bytesIn', 'Bytes in'],
    ['duplicateBatches', 'Duplicates answered from the dedup window'],
    ['transactionsCommitted', 'Transactions committed'],
    ['transactionsAborted', 'Transactions aborted'],
  ];
  return shown
    .filter(([key]) => state.counters[key] !== null)
    .map(([key, label]) => el('div', { class: 'counter' }, el('div', { class: 'label' }, label), el('div', { class: 'value', id: `counter-${key}` }, state.counters[key])));
}

function topicsView(state) {
  if (state.topics.length === 0) return [el('p', { class: 'empty' }, 'No topics.')];
  return state.topics.map((topic) => [
    el('h2', {}, topic.name),
    table(
      ['Partition', 'Log start', 'LEO', 'High watermark', 'LSO', 'Producer id', 'Epoch', 'Last seq', 'Dedup window (seq → offset)', 'Open transaction from'],
      topic.partitions.flatMap((partition) => {
        const producers = partition.producers.length === 0 ? [null] : partition.producers;
        return producers.map((producer, index) =>
          el(
            'tr',
            { 'data-partition': `${topic.name}-${partition.partition}`, 'data-producer-id': producer?.producerId },
            index === 0 ? [
              el('td', { class: 'num', rowspan: producers.length }, partition.partition),
              el('td', { class: 'num', rowspan: producers.length }, partition.logStartOffset),
              el('td', { class: 'num', rowspan: producers.length }, partition.logEndOffset),
              el('td', { class: 'num', rowspan: producers.length }, partition.highWatermark),
              el('td', { class: 'num', rowspan: producers.length }, partition.lastStableOffset),
            ] : [],
            producer === null
              ? el('td', { colspan: 5, class: 'empty' }, 'no producer state')
              : [
                  el('td', { class: 'mono' }, producer.producerId),
                  el('td', { class: 'num' }, producer.producerEpoch),
                  el('td', { class: 'num' }, producer.lastSequence),
                  el('td', { class: 'window mono' }, producer.dedupWindow === null ? '—' : producer.dedupWindow.map((batch) => el('span', {}, `${batch.firstSequence}..${batch.lastSequence} → ${batch.firstOffset}`))),
                  el('td', { class: 'num' }, producer.openTransactionStartOffset ?? '—'),
                ],
          ),
        );
      }),
    ),
  ]);
}

function transactionsView(state) {
  if (state.transactions.length === 0) return [el('p', { class: 'empty' }, 'No transactional ids.')];
  return [
    table(
      ['Transactional id', 'State', 'Producer id', 'Epoch', 'Timeout (ms)', 'Started', 'Partitions'],
      state.transactions.map((txn) =>
        el(
          'tr',
          { 'data-transactional-id': txn.transactionalId },
          el('td', { class: 'mono' }, txn.transactionalId),
          el('td', { class: `state state-${txn.state}`, 'data-state': txn.state }, txn.state),
          el('td', { class: 'mono' }, txn.producerId),
          el('td', { class: 'num' }, txn.producerEpoch),
          el('td', { class: 'num' }, txn.timeoutMs),
          el('td', {}, txn.startTimeMs > 0 ? new Date(txn.startTimeMs).toISOString().replace('T', ' ').slice(0, 23) : '—'),
          el('td', { class: 'mono' }, txn.partitions.join(', ') || '—'),
        ),
      ),
    ),
  ];
}

function groupsView(state) {
  if (state.groups.length === 0) return [el('p', { class: 'empty' }, 'No consumer groups.')];
  return state.groups.map((group) => [
    el('h2', {}, `${group.groupId} `, el('span', { class: `state state-${group.state}` }, group.state), ` · ${group.type}${group.protocol ? ` · ${group.protocol}` : ''}`),
    group.members.length === 0
      ? el('p', { class: 'empty' }, 'No members.')
      : table(['Member', 'Client id', 'Host', 'Assignment'], group.members.map((member) =>
          el('tr', {}, el('td', { class: 'mono' }, member.memberId), el('td', {}, member.clientId), el('td', {}, member.clientHost), el('td', { class: 'mono' }, member.assignment.join(', ') || '—')),
        )),
    group.offsets.length === 0
      ? el('p', { class: 'empty' }, 'No committed offsets.')
      : table(['Topic', 'Partition', 'Committed offset', 'Lag'], group.offsets.map((offset) =>
          el('tr', { 'data-lag': `${group.groupId}/${offset.topic}-${offset.partition}` }, el('td', {}, offset.topic), el('td', { class: 'num' }, offset.partition), el('td', { class: 'num' }, offset.committedOffset), el('td', { class: 'num' }, offset.lag)),
        )),
  ]);
}

function currentView() {
  const name = location.hash.slice(1);
  return views.includes(name) ? name : 'topics';
}

function showView() {
  const active = currentView();
  for (const name of views) document.getElementById(`view-${name}`).hidden = name !== active;
  for (const link of document.querySelectorAll('nav a')) link.classList.toggle('active', link.dataset.view === active);
}

function render(state) {
  document.getElementById('counters').replaceChildren(...counters(state));
  document.getElementById('view-topics').replaceChildren(...topicsView(state).flat());
  document.getElementById('view-transactions').replaceChildren(...transactionsView(state));
  document.getElementById('view-groups').replaceChildren(...groupsView(state).flat());
  const status = document.getElementById('status');
  status.textContent = `${state.source} · cluster ${state.clusterId} · ${new Date(state.takenAtMs).toLocaleTimeString()}`;
  status.dataset.updatedAt = String(state.takenAtMs);
}

addEventListener('hashchange', showView);
showView();
const events = new EventSource('api/events');
events.onmessage = (message) => render(JSON.parse(message.data));
events.addEventListener('failure', (message) => {
  document.getElementById('status').textContent = `reading the cluster failed: ${JSON.parse(message.data)}`;
});
events.onerror = () => {
  document.getElementById('status').textContent = 'disconnected; retrying…';
};
