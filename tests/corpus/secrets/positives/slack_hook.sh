#!/bin/sh
curl -X POST -d '{"text":"deploy done"}' https://hooks.slack.com/services/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
