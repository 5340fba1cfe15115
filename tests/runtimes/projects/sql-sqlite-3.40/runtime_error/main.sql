.output /dev/stderr
SELECT 'about to fail';
.output
.exit 3
