import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { copyVolumesAnswer, textAt, withSourceVolumeIds, withTextAt } from '../../../local/dataplane/volume-xml.js';

// Shaped like the emulator's answers: a volume's tags and attachments carry nested <item>s,
// and an attachment names its volume too.
const CREATE = '<?xml version="1.0" encoding="utf-8"?>\n<CreateVolumeResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15">'
  + '<iops>3000</iops><tagSet><item><key>a</key><value>b</value></item></tagSet><volumeId>vol-0copy</volumeId><size>2</size>'
  + '<status>creating</status><requestId>req-1</requestId></CreateVolumeResponse>';
const DESCRIBE = '<DescribeVolumesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15"><volumeSet>'
  + '<item><tagSet><item><key>volumeId</key><value>x</value></item></tagSet><volumeId>vol-0copy</volumeId>'
  + '<attachmentSet><item><volumeId>vol-0copy</volumeId><status>attached</status></item></attachmentSet></item>'
  + '<item><volumeId>vol-0other</volumeId><attachmentSet/></item></volumeSet><requestId>r</requestId></DescribeVolumesResponse>';

describe('EC2 answer edits of the data plane', () => {
  it('reads and replaces the element at a path only', () => {
    assert.equal(textAt(CREATE, 'CreateVolumeResponse/volumeId'), 'vol-0copy');
    assert.equal(textAt(CREATE, 'CreateVolumeResponse/tagSet/item/key'), 'a');
    assert.equal(textAt(CREATE, 'CreateVolumeResponse/nothing'), undefined);
    const replaced = withTextAt(CREATE, 'CreateVolumeResponse/status', 'deleted');
    assert.equal(textAt(replaced, 'CreateVolumeResponse/status'), 'deleted');
    assert.equal(replaced.replace('deleted', 'creating'), CREATE, 'nothing else changes');
    assert.equal(withTextAt(CREATE, 'CreateVolumeResponse/missing', 'x'), CREATE);
  });

  it('turns a CreateVolume answer into a CopyVolumes answer naming the source', () => {
    const answer = copyVolumesAnswer(CREATE, 'vol-0src');
    assert.ok(answer);
    assert.equal(textAt(answer, 'CopyVolumesResponse/volumeSet/item/volumeId'), 'vol-0copy');
    assert.equal(textAt(answer, 'CopyVolumesResponse/volumeSet/item/sourceVolumeId'), 'vol-0src');
    assert.equal(textAt(answer, 'CopyVolumesResponse/volumeSet/item/tagSet/item/value'), 'b');
    assert.equal(textAt(answer, 'CopyVolumesResponse/requestId'), 'req-1');
    assert.equal(textAt(answer, 'CopyVolumesResponse/volumeSet/item/requestId'), undefined, 'the request id is not a volume field');
    assert.equal(copyVolumesAnswer('<Response><Errors/></Response>', 'vol-0src'), undefined);
  });

  it('adds SourceVolumeId to the volumes that are copies, not to attachments or tags', () => {
    const out = withSourceVolumeIds(DESCRIBE, (id) => (id === 'vol-0copy' ? 'vol-0src' : undefined));
    assert.equal(out.split('<sourceVolumeId>').length - 1, 1);
    assert.ok(out.includes('<volumeId>vol-0copy</volumeId><sourceVolumeId>vol-0src</sourceVolumeId><attachmentSet>'));
    assert.equal(withSourceVolumeIds(DESCRIBE, () => undefined), DESCRIBE);
  });
});
