import { render } from 'preact';
import { App } from './app.js';
import { registerDownloadWorker } from './download.js';
import './style.css';

registerDownloadWorker();

const root = document.getElementById('app');
if (root !== null) render(<App />, root);
