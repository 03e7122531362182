#!/bin/sh
export DEPLOY_TOKEN="gsjkkmgfA1y2NdAMSqKF8ClqZ5zkxYPn"
./deploy --target prod
