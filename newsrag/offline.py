"""Keep the product off the network unless its user configured a server.

Imported first by every entry point: Hugging Face libraries, gradio_client and chromadb all
look up outside hosts (model hubs, version checks, telemetry) unless told not to.
"""

import os

OFFLINE_ENVIRONMENT = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "DO_NOT_TRACK": "1",
    "TOKENIZERS_PARALLELISM": "false",
}


def go_offline() -> None:
    """Set the environment switches that stop libraries from calling home.

    Values the user set explicitly are kept, except the telemetry switches, which are forced.
    """
    for key, value in OFFLINE_ENVIRONMENT.items():
        if key in ("ANONYMIZED_TELEMETRY", "GRADIO_ANALYTICS_ENABLED", "HF_HUB_DISABLE_TELEMETRY"):
            os.environ[key] = value
        else:
            os.environ.setdefault(key, value)


go_offline()
