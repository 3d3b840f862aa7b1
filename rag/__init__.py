"""Answers out: turn a question and the retrieved passages into a grounded, cited answer.

`backends` builds the language model that writes the answer (embedded llama.cpp, an
OpenAI-compatible server, Ollama, or none for the extractive mode) as a llama-index `LLM`;
the answer pipeline around it decides what the model sees and checks what it says.
"""
