"""The browser chat: a Gradio page over the same rag/ and index/ calls the CLI makes.

`app.py` lays out the page and wires events, `actions.py` turns each event into one call into
rag/ or index/, `render.py` turns answers, sources and articles into escaped HTML, `uploads.py`
keeps uploaded files inside the store's folder, and `commands.py` is `newsrag serve`.
"""
